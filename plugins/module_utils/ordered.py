# -*- coding: utf-8 -*-
# Copyright (c) kvmhost.setup contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Order-keeping list helpers: systemctl steps and unit lists keep the order they were asked in."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def unique(items):
    """The items without repeats, first occurrence kept (works for unhashable items too)."""
    result = []
    for item in items:
        if item not in result:
            result.append(item)
    return result
