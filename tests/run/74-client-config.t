#!/bin/bash
# mig.ini's alembic.ini habits with the real client/mig binary against
# SQLite files: [DEFAULT] inheritance, recursive_version_locations, several
# version_locations and revision --version-path, file_template and
# truncate_slug_length, [post_write_hooks] (exec hooks, a failing hook),
# unknown keys, and their error paths (tests/client/config.sh).
exec bash "$(dirname "$0")/../client/config.sh"
