#!/bin/bash
# Stand-ins for the .NET base images, mcr.microsoft.com/dotnet/runtime and dotnet/aspnet, for a machine that reaches
# no mcr.microsoft.com (this repository's CI): Debian bookworm (what the real images are built on) with this machine's
# .NET runtime, the images' non-root user `app` (1654) and their environment. Pushes both to the registry given
# (host:port, plain HTTP) under the same names; build the services' images with -p:ContainerBaseImageMirror=<registry>
# (docs/images.md). Root; needs debootstrap and podman (eng/prerequisites.sh: ensure_image_prerequisites).
set -euo pipefail
registry=${1:?usage: eng/base-images.sh <registry host:port>}
work=${PLATFORM_BASE_IMAGES_WORK:-/var/tmp/platform-base-images}
dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
version=$(ls "$dotnet_root/shared/Microsoft.NETCore.App" | sort -V | tail -1)
tag=${version%.*}
# Built once, under local names; pushed to whichever registry is given.
runtime=localhost/platform-base/dotnet/runtime:$tag aspnet=localhost/platform-base/dotnet/aspnet:$tag
mkdir -p "$work" && cd "$work"

if ! podman image exists "$runtime"; then
  if [ ! -d rootfs ]; then
    mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
    [ -n "$mirror" ] || mirror=$(awk '$1=="deb"{print $2; exit}' /etc/apt/sources.list)
    # The packages the real images add to Debian: TLS roots, ICU, OpenSSL, time zones, zlib.
    debootstrap --variant=minbase --include=ca-certificates,libicu72,libssl3,tzdata,zlib1g bookworm rootfs.tmp "$mirror" > debootstrap.log 2>&1
    chroot rootfs.tmp groupadd --gid 1654 app
    chroot rootfs.tmp useradd --uid 1654 --gid 1654 --create-home app
    rm -rf rootfs.tmp/var/cache/apt/archives/*.deb rootfs.tmp/var/lib/apt/lists/* rootfs.tmp/usr/share/doc/* rootfs.tmp/usr/share/man/*
    mv rootfs.tmp rootfs
  fi
  rm -rf runtime && mkdir -p runtime/usr/share/dotnet/shared runtime/usr/bin
  cp -a "$dotnet_root/dotnet" "$dotnet_root/host" "$dotnet_root/LICENSE.txt" runtime/usr/share/dotnet/
  cp -a "$dotnet_root/shared/Microsoft.NETCore.App" runtime/usr/share/dotnet/shared/
  ln -s ../share/dotnet/dotnet runtime/usr/bin/dotnet
  tar -C rootfs -cf - . | podman import \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' -c 'ENV APP_UID=1654' \
    -c 'ENV DOTNET_RUNNING_IN_CONTAINER=true' -c "ENV DOTNET_VERSION=$version" - "$runtime.os" > /dev/null
  printf 'FROM %s\nCOPY runtime/ /\n' "$runtime.os" | podman build --pull=never -q -t "$runtime" -f - . > /dev/null
  podman rmi "$runtime.os" > /dev/null
fi
if ! podman image exists "$aspnet"; then
  rm -rf aspnet && mkdir -p aspnet/usr/share/dotnet/shared
  cp -a "$dotnet_root/shared/Microsoft.AspNetCore.App" aspnet/usr/share/dotnet/shared/
  printf 'FROM %s\nCOPY aspnet/ /\nENV ASPNETCORE_HTTP_PORTS=8080 ASPNET_VERSION=%s\n' "$runtime" "$version" |
    podman build --pull=never -q -t "$aspnet" -f - . > /dev/null
fi
podman push -q --tls-verify=false "$runtime" "docker://$registry/dotnet/runtime:$tag"
podman push -q --tls-verify=false "$aspnet" "docker://$registry/dotnet/aspnet:$tag"
echo "$registry/dotnet/runtime:$tag and $registry/dotnet/aspnet:$tag pushed"
