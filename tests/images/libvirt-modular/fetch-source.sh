#!/bin/sh
# Fetch Debian's libvirt source package (orig + debian tarballs) of the pinned
# version, verify both against the Sources index, unpack and apply Debian's
# patch series.  `apt-get source` is not used: this mirror answers 404 for the
# .dsc/.asc files while the tarballs download fine.
# Usage: fetch-source.sh VERSION DESTDIR
set -eu
want=$1 dest=$2

# deb-src for the release suite only, so the Sources index names one version.
line=$(grep -m1 '^deb ' /etc/apt/sources.list)
mirror=$(echo "$line" | awk '{print $2}')
suite=$(echo "$line" | awk '{print $3}')
echo "deb-src $mirror $suite main" >/etc/apt/sources.list.d/libvirt-src.list
apt-get update

record=$(apt-cache showsrc --only-source libvirt)
have=$(printf '%s\n' "$record" | awk '/^Version:/ {print $2; exit}')
if [ "$have" != "$want" ]; then
    echo "ERROR: pinned libvirt source version is $want but the mirror's $suite" \
         "Sources index has $have; update LIBVIRT_VERSION in" \
         "tests/images/libvirt-modular/Containerfile" >&2
    exit 1
fi
dir=$(printf '%s\n' "$record" | awk '/^Directory:/ {print $2; exit}')
upstream=${want%-*}
upstream=${upstream#*:}
orig="libvirt_${upstream}.orig.tar.xz"
deb="libvirt_${want#*:}.debian.tar.xz"

# "sha256 size name" lines of the Checksums-Sha256 field -> sha256sum -c input.
printf '%s\n' "$record" | awk -v orig="$orig" -v deb="$deb" '
    /^Checksums-Sha256:/ {c=1; next}
    c && /^ / {if ($3 == orig || $3 == deb) print $1 "  " $3; next}
    c {exit}' >/tmp/SHA256SUMS
[ "$(wc -l </tmp/SHA256SUMS)" -eq 2 ] || {
    echo "ERROR: $orig / $deb not both listed in Checksums-Sha256" >&2; exit 1; }

mkdir -p /tmp/dl
cd /tmp/dl
while read -r sum name; do
    # apt-helper verifies the hash itself; sha256sum -c below checks again.
    /usr/lib/apt/apt-helper download-file "$mirror/$dir/$name" "$name" "SHA256:$sum"
done </tmp/SHA256SUMS
sha256sum -c /tmp/SHA256SUMS

mkdir -p "$dest"
tar -C "$dest" --strip-components=1 -xf "$orig"
tar -C "$dest" -xf "$deb"
cd "$dest"
grep -v -e '^#' -e '^[[:space:]]*$' debian/patches/series | while read -r p _; do
    patch -p1 -s --no-backup-if-mismatch <"debian/patches/$p"
done
n=$(grep -c -v -e '^#' -e '^[[:space:]]*$' debian/patches/series)
echo "libvirt $want: sources verified, $n Debian patches applied"
rm -rf /tmp/dl /var/lib/apt/lists/*_source_* /etc/apt/sources.list.d/libvirt-src.list
