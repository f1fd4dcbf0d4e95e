#!/usr/bin/env bash
# Rebuild the JavaScript vendored into explain_lib/report/_vendor from the npm registry.
# The dashboards inline these files, so a page never fetches anything. Bump a version here, run
# `make vendor`, and commit the changed files together with this script.
set -euo pipefail
ECHARTS_VERSION=6.1.0
cd "$(dirname "$0")/.."
dest=explain_lib/report/_vendor
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "echarts@${ECHARTS_VERSION}" >/dev/null && tar -xzf "echarts-${ECHARTS_VERSION}.tgz")
cp "$work/package/dist/echarts.min.js" "$dest/echarts.min.js"
cp "$work/package/LICENSE" "$dest/LICENSE-echarts"
cp "$work/package/NOTICE" "$dest/NOTICE-echarts"
printf 'echarts %s\n' "$ECHARTS_VERSION" > "$dest/VERSIONS"
echo "vendored echarts ${ECHARTS_VERSION} into $dest"
