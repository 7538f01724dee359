#!/usr/bin/env bash
# While calibloop is unreleased there is one migration; this rewrites it from prisma/schema.prisma and regenerates the
# client. After the first release, use `npm run db:diff -- <name>` to add migrations instead.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(ls -d prisma/migrations/*_init 2>/dev/null | head -1)
mkdir -p .tmp
if [ -n "$dir" ]; then mv "$dir" ".tmp/old_init_$$"; fi
name=$(basename "${dir:-prisma/migrations/20261122000000_init}")
npm run -s db:diff -- init >/dev/null
new=$(ls -d prisma/migrations/*_init | head -1)
if [ "$new" != "prisma/migrations/$name" ]; then mv "$new" "prisma/migrations/$name"; fi
rm -rf ".tmp/old_init_$$"
npm run -s db:generate >/dev/null
echo "regenerated prisma/migrations/$name and the client"
