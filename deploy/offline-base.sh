#!/bin/sh
# Assembles the Containerfile's base image (node 20 on Debian bookworm) from Debian's packages and
# this machine's own node, for hosts that reach Debian's mirror but no container registry. It is
# tagged with the name the Containerfile uses, so `podman build` then finds it locally.
# Needs root (or podman unshare), mmdebstrap and podman; node >= 20.12 on this machine.
set -eu
tag="${1:-docker.io/library/node:20-bookworm-slim}"
node_bin="$(command -v node)"
npm_dir="$(dirname "$(readlink -f "$(command -v npm)")")/.."
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$node_bin" -e 'const [a,b]=process.versions.node.split(".").map(Number); if (a<20||(a===20&&b<12)) { console.error("node "+process.version+" is older than 20.12"); process.exit(1) }'
mmdebstrap --variant=minbase --include=ca-certificates,libstdc++6 \
  --customize-hook="copy-in $node_bin /usr/local/bin" \
  --customize-hook="mkdir -p \"\$1/usr/local/lib/node_modules/npm\"" \
  --customize-hook="sync-in $(readlink -f "$npm_dir") /usr/local/lib/node_modules/npm" \
  --customize-hook='ln -s ../lib/node_modules/npm/bin/npm-cli.js "$1/usr/local/bin/npm"' \
  --customize-hook='ln -s ../lib/node_modules/npm/bin/npx-cli.js "$1/usr/local/bin/npx"' \
  --customize-hook='rm -rf "$1/var/lib/apt/lists/"* "$1/var/cache/apt/"*.bin' \
  bookworm "$work/base.tar"
podman import --change 'CMD ["node"]' "$work/base.tar" "$tag"
