#!/bin/sh
# Assembles the Containerfile's base image (node 20 on Debian bookworm) from Debian's packages and
# this machine's own node, for hosts that reach Debian's mirror but no container registry. It is
# tagged with the name the Containerfile uses, so `podman build` then finds it locally.
# Needs root (or podman unshare), mmdebstrap and podman; node >= 20.12 on this machine.
#   EXTRA_CA_CERTS="a.crt b.crt" deploy/offline-base.sh   adds certificate authorities (a proxy
#   that intercepts TLS on the way to the npm registry) and points node at the system's bundle.
set -eu
tag="${1:-docker.io/library/node:20-bookworm-slim}"
node_bin="$(command -v node)"
npm_dir="$(readlink -f "$(dirname "$(readlink -f "$(command -v npm)")")/..")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$node_bin" -e 'const [a,b]=process.versions.node.split(".").map(Number); if (a<20||(a===20&&b<12)) { console.error("node "+process.version+" is older than 20.12"); process.exit(1) }'

set -- --variant=minbase --include=ca-certificates,libstdc++6 \
  --customize-hook="copy-in $node_bin /usr/local/bin" \
  --customize-hook='mkdir -p "$1/usr/local/lib/node_modules/npm"' \
  --customize-hook="sync-in $npm_dir /usr/local/lib/node_modules/npm" \
  --customize-hook='ln -s ../lib/node_modules/npm/bin/npm-cli.js "$1/usr/local/bin/npm"' \
  --customize-hook='ln -s ../lib/node_modules/npm/bin/npx-cli.js "$1/usr/local/bin/npx"'
changes='CMD ["node"]'
if [ -n "${EXTRA_CA_CERTS:-}" ]; then
  mkdir "$work/ca"
  for cert in $EXTRA_CA_CERTS; do cp "$cert" "$work/ca/$(basename "$cert" .crt).crt"; done
  set -- "$@" --customize-hook="sync-in $work/ca /usr/local/share/ca-certificates" \
    --customize-hook='chroot "$1" update-ca-certificates'
  extra_env='NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt'
fi
set -- "$@" --customize-hook='rm -rf "$1/var/lib/apt/lists/"* "$1/var/cache/apt/"*.bin' bookworm "$work/base.tar"
mmdebstrap "$@"
if [ -n "${extra_env:-}" ]; then
  podman import --change "$changes" --change "ENV $extra_env" "$work/base.tar" "$tag"
else
  podman import --change "$changes" "$work/base.tar" "$tag"
fi
