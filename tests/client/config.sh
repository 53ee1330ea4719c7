#!/bin/bash
# End-to-end tests of mig.ini's alembic.ini habits (TAP), with the real
# client/mig binary against SQLite files: [DEFAULT] inheritance,
# recursive_version_locations, several version_locations (and revision
# --version-path), file_template and truncate_slug_length,
# [post_write_hooks], and unknown keys, with their error paths.
# SECTIONS="hooks templates" runs a subset; MIG / MIG_CHECKER: see
# tests/client/lib.sh.
. "$(dirname "$0")/lib.sh"
client_setup

ALL_SECTIONS="defaults recursive locations templates hooks unknown"

# hookrev ARGS...: `mig revision ARGS` when hooks print after the Generating
# line: sets REV and REVF from that first line (lib.sh's newrev wants it alone)
hookrev() {
    m revision "$@"
    REV="" REVF=""
    if [[ $(head -n 1 <<<"$OUT") =~ ^Generating\ (.+\.sql)\ \.\.\.\ \ done$ ]]; then
        REVF=${BASH_REMATCH[1]}
        REV=$(sed -n 's/^-- mig:revision //p' "$REVF" 2>/dev/null)
    fi
}

# ---- [DEFAULT]: values every section inherits --------------------------------------------------------
t_defaults() {
    project defaults
    rev_file versions/d1.sql d1 "" "CREATE TABLE d1 (x INTEGER);" "DROP TABLE d1;"
    mkdir other
    rev_file other/o1.sql o1 "" "CREATE TABLE o1 (x INTEGER);" "DROP TABLE o1;"
    cat >mig.ini <<'EOF'
[DEFAULT]
url = sqlite:shared.db
versions = versions

[mig]

[staging]
versions = other

[other]
url = sqlite:other.db
versions = other
EOF
    m upgrade
    is_rc 0 "[DEFAULT] url and versions, an empty [mig]: upgrade exit 0"
    is "$(raw shared.db "SELECT env || ' ' || version_num FROM mig_version")" "default d1" \
        "[mig] inherits url = sqlite:shared.db from [DEFAULT] (env default)"
    m -n staging upgrade
    is_rc 0 "-n staging (only versions of its own): exit 0"
    is "$(raw shared.db "SELECT env || ' ' || version_num FROM mig_version ORDER BY env")" "$(printf 'default d1\nstaging o1')" \
        "-n staging: url from [DEFAULT], its own versions (and env, the section's name)"
    m -n other upgrade
    is_rc 0 "-n other (its own url and versions): exit 0"
    is "$(raw other.db "SELECT env || ' ' || version_num FROM mig_version")" "other o1" \
        "a key of the section wins over [DEFAULT] (url, versions)"
    is "$(raw shared.db "SELECT count(*) FROM mig_version WHERE env = 'other'")" 0 "-n other did not touch shared.db"

    # [DEFAULT] env: every section shares that lineage unless it says otherwise
    printf '[DEFAULT]\nurl = sqlite:envs.db\nenv = common\n[mig]\n[blue]\n[green]\nenv = own\n' >mig.ini
    m upgrade
    m -n blue current
    is "$OUT" "d1 (head)" "[DEFAULT] env = common: [blue] shares [mig]'s lineage"
    m -n green current
    is "$OUT" "" "[green] env = own wins over [DEFAULT]"
    is "$(raw envs.db "SELECT env || ' ' || version_num FROM mig_version")" "common d1" "the state is in env common"

    # a section that does not exist is still missing, whatever [DEFAULT] holds
    m -n nosuch current
    is_rc 1 "-n nosuch with a [DEFAULT]: exit 1"
    like "$ERR1" "no section \[nosuch\]" "-n nosuch: names the missing section"
    m -n DEFAULT current
    is_rc 1 "-n DEFAULT: exit 1"
    like "$ERR1" "\[DEFAULT\] is not an environment" "-n DEFAULT: [DEFAULT] is not an environment"
    # an unknown key in [DEFAULT] is one in every section
    printf '[DEFAULT]\nurl = sqlite:envs.db\nflavour = mint\n[mig]\n' >mig.ini
    m current
    is_rc 1 "an unknown key in [DEFAULT]: exit 1"
    like "$ERR1" "unknown key \"flavour\" in section \[DEFAULT\], which every section inherits" \
        "an unknown key in [DEFAULT]: names the key and the section"
    # [DEFAULT] is not [mig]: revision still needs the section
    printf '[DEFAULT]\nurl = sqlite:envs.db\n' >mig.ini
    m revision -m x
    is_rc 1 "a mig.ini with [DEFAULT] only: revision exit 1"
    like "$ERR1" "has no section \[mig\]" "... says [mig] is missing"
}

# ---- recursive_version_locations ----------------------------------------------------------------------
t_recursive() {
    project recursive
    mkdir -p versions/2024/01 versions/2025 versions/.hidden
    rev_file versions/r1.sql r1 "" "CREATE TABLE r1 (x INTEGER);" "DROP TABLE r1;"
    rev_file versions/2024/01/r2.sql r2 r1 "CREATE TABLE r2 (x INTEGER);" "DROP TABLE r2;"
    rev_file versions/2025/r3.sql r3 r2 "CREATE TABLE r3 (x INTEGER);" "DROP TABLE r3;"
    rev_file versions/.hidden/rx.sql rx r3 "CREATE TABLE rx (x INTEGER);" "DROP TABLE rx;"
    m heads
    is "$OUT" "r1 (head)" "without recursive_version_locations: sub-folders are not read"
    printf 'recursive_version_locations = true\n' >>mig.ini
    m heads
    is_rc 0 "recursive_version_locations = true: heads exit 0"
    is "$OUT" "r3 (head)" "recursive: the files of sub-folders (at any depth) are read; hidden folders are not"
    m --json history
    is "$(jq_ "$OUT" 'join(" ", map { $_->{path} } @{$j->{history}})')" \
        "versions/2025/r3.sql versions/2024/01/r2.sql versions/r1.sql" "recursive: history names each file with its sub-folder"
    m upgrade
    is_rc 0 "recursive: upgrade exit 0"
    is "$(raw mig.db "SELECT version_num FROM mig_version")" "r3" "recursive: upgraded through the sub-folders' revisions"
    # deterministic: the files are read in the order of their paths
    rev_file versions/2024/r0.sql r0 r3 "SELECT 1;" ""
    rev_file versions/2024/01/a0.sql a0 r0 "SELECT 1;" ""
    m --url sqlite:fresh.db --json push
    local paths
    paths=$(jq_ "$OUT" 'join("\n", map { $_->{path} } @{$j->{revisions}})')
    is "$paths" "$(sorted "$paths")" "recursive: the files are read sorted by path"
    is "$(wc -l <<<"$paths")" 5 "recursive: push uploads the five files"
    # the same id in a sub-folder: both files named
    rev_file versions/2025/dup.sql r2 r1 "SELECT 1;" ""
    m heads
    is_rc 1 "recursive: an id in two files of different sub-folders: exit 1"
    like "$ERR1" "revision r2 is in two files: versions/2024/01/r2.sql and versions/2025/dup.sql" \
        "recursive: the duplicated id names both files"
    rm versions/2025/dup.sql
    for v in yes on 1 True; do
        sed -i "s/^recursive_version_locations = .*/recursive_version_locations = $v/" mig.ini
        m heads
        is "$OUT" "a0 (head)" "recursive_version_locations = $v is true"
    done
    sed -i 's/^recursive_version_locations = .*/recursive_version_locations = off/' mig.ini
    m heads
    is "$OUT" "r1 (head)" "recursive_version_locations = off is false"
    sed -i 's/^recursive_version_locations = .*/recursive_version_locations = maybe/' mig.ini
    m heads
    is_rc 1 "recursive_version_locations = maybe: exit 1"
    like "$ERR1" "recursive_version_locations = maybe: expected true or false" "... says what it expects"
}

# ---- several version_locations, revision --version-path ------------------------------------------------
t_locations() {
    project locations
    mkdir -p core billing
    rev_file core/c1.sql c1 "" "CREATE TABLE c1 (x INTEGER);" "DROP TABLE c1;"
    rev_file billing/b1.sql b1 c1 "CREATE TABLE b1 (x INTEGER);" "DROP TABLE b1;"
    cat >mig.ini <<'EOF'
[mig]
url = sqlite:mig.db
version_locations = core billing
EOF
    m heads
    is_rc 0 "version_locations = core billing: heads exit 0"
    is "$OUT" "b1 (head)" "space separated: both folders are read (b1 in billing builds on c1 in core)"
    sed -i 's/^version_locations = .*/version_locations = core, billing/' mig.ini
    m heads
    is "$OUT" "b1 (head)" "comma separated: both folders are read"
    m upgrade
    is_rc 0 "two folders: upgrade exit 0"
    is "$(raw mig.db "SELECT version_num FROM mig_version")" "b1" "two folders: upgraded through both"

    newrev -m "next step"
    is_rc 0 "revision with two locations: exit 0"
    like "$REVF" "^core/${REV}_next_step\.sql$" "a new revision goes to the first location ($REVF)"
    is "$(grep '^-- mig:down_revision' "$REVF")" "-- mig:down_revision b1" "... on the head, whatever its folder"
    newrev -m "bill more" --version-path billing
    is_rc 0 "revision --version-path billing: exit 0"
    like "$REVF" "^billing/${REV}_bill_more\.sql$" "--version-path billing: the file goes there ($REVF)"
    newrev -m "bill again" --version-path billing/
    like "$REVF" "^billing/${REV}_bill_again\.sql$" "--version-path billing/ (a trailing slash): the same folder"
    local before
    before=$(find . -name '*.sql' | wc -l)
    m revision -m nowhere --version-path .
    is_rc 1 "--version-path not a version location: exit 1"
    like "$ERR1" "--version-path \. is not one of the version locations of mig.ini \[mig\]: core, billing" \
        "... names the locations"
    m revision -m nowhere --version-path nosuch
    is_rc 1 "--version-path to a missing folder: exit 1"
    like "$ERR1" "--version-path nosuch: No such file or directory" "... names it"
    is "$(find . -name '*.sql' | wc -l)" "$before" "the refused revisions wrote no file"
    m merge -m x heads --version-path core
    is_rc 2 "merge --version-path: a usage error (revision only)"

    # from another folder: the locations are relative to mig.ini
    mkdir -p "$T/elsewhere" && cd "$T/elsewhere" || bail "cd"
    m -c ../locations/mig.ini heads
    is_rc 0 "-c ../locations/mig.ini heads: exit 0"
    is "$(wc -l <<<"$OUT")" 1 "-c from another folder: one head, from both folders"
    m -c ../locations/mig.ini revision -m afar --version-path ../locations/billing
    like "$OUT" "^Generating \.\./locations/billing/[0-9a-f]{12}_afar\.sql" \
        "-c and --version-path (relative to the current folder): the file goes into that location"
    cd "$T/locations" || bail "cd"

    # a duplicated id across folders
    rev_file billing/c1_again.sql c1 "" "SELECT 1;" ""
    m heads
    is_rc 1 "the same id in two folders: exit 1"
    like "$ERR1" "revision c1 is in two files: core/c1.sql and billing/c1_again.sql" "... names both files"
    m upgrade
    is_rc 1 "the same id in two folders: upgrade exit 1 too"
    rm billing/c1_again.sql

    # a missing folder
    sed -i 's/^version_locations = .*/version_locations = core, billing, gone/' mig.ini
    m heads
    is_rc 1 "a missing version location: exit 1"
    like "$ERR1" "cannot read the versions folder gone: No such file or directory" "... names the folder"
    m revision -m x
    is_rc 1 "a missing version location: revision exit 1"
    # one folder named twice, one inside another read recursively
    sed -i 's/^version_locations = .*/version_locations = core, .\/core/' mig.ini
    m heads
    is_rc 1 "a folder named twice: exit 1"
    like "$ERR1" "version_locations names one folder twice: core and \./core" "... names both spellings"
    mkdir -p core/sub
    printf '[mig]\nurl = sqlite:mig.db\nversion_locations = core core/sub\nrecursive_version_locations = true\n' >mig.ini
    m heads
    is_rc 1 "recursive, a location inside another: exit 1"
    like "$ERR1" "core/sub is inside core" "... says which is inside which"

    # an empty list, separators
    printf '[mig]\nurl = sqlite:mig.db\nversion_locations =\n' >mig.ini
    m heads
    is_rc 1 "version_locations with nothing: exit 1"
    like "$ERR1" "version_locations is empty" "... says so"
    mkdir -p "with space"
    rev_file "with space/w1.sql" w1 b1 "SELECT 1;" ""
    printf '[mig]\nurl = sqlite:mig.db\nversion_locations = core:billing:with space\nversion_path_separator = colon\n' >mig.ini
    m heads
    is_rc 0 "version_path_separator = colon: exit 0"
    like "$OUT" "w1" "version_path_separator = colon: a folder with a space in its name is read"
    printf '[mig]\nurl = sqlite:mig.db\nversion_locations = core:billing:with space\nversion_path_separator = os\n' >mig.ini
    m heads
    like "$OUT" "w1" "version_path_separator = os (':' here)"
    printf '[mig]\nurl = sqlite:mig.db\nversion_locations = core;billing\npath_separator = semicolon\n' >mig.ini
    m heads
    is_rc 0 "path_separator = semicolon (Alembic 1.16's name): exit 0"
    printf '[mig]\nurl = sqlite:mig.db\nversion_locations = core\nversion_path_separator = tab\n' >mig.ini
    m heads
    is_rc 1 "version_path_separator = tab: exit 1"
    like "$ERR1" "version_path_separator = tab: expected space, comma, colon, semicolon, newline or os" "... lists the forms"
    # %(here)s, as alembic.ini writes it
    printf '[mig]\nurl = sqlite:mig.db\nversion_locations = %%(here)s/core %%(here)s/billing\n' >mig.ini
    m -c "$T/locations/mig.ini" heads
    is_rc 0 "version_locations = %(here)s/core ...: exit 0"
    m --json heads
    like "$(jq_ "$OUT" '$j->{heads}[0]{path}')" "^$(pwd -P)/(core|billing)/" "%(here)s is the folder of mig.ini"
    # a multi-line value, one folder a line
    printf '[mig]\nurl = sqlite:mig.db\nversion_locations =\n    core\n    billing\n' >mig.ini
    m heads
    is_rc 0 "a multi-line version_locations: exit 0"
    is "$(wc -l <<<"$OUT")" 1 "a multi-line version_locations: both folders read (one head)"
}

# ---- file_template and truncate_slug_length --------------------------------------------------------------
t_templates() {
    project templates
    newrev -m "plain name"
    like "$REVF" "^versions/[0-9a-f]{12}_plain_name\.sql$" "without file_template: ID_SLUG.sql, as before"
    printf 'file_template = %%%%(year)d_%%%%(month).2d_%%%%(day).2d_%%%%(hour).2d%%%%(minute).2d-%%%%(rev)s_%%%%(slug)s\n' >>mig.ini
    local before after
    before=$(date +%s)
    newrev -m "With a date"
    after=$(date +%s)
    is_rc 0 "file_template with dates: exit 0"
    like "$REVF" "^versions/[0-9]{4}_[0-9]{2}_[0-9]{2}_[0-9]{4}-${REV}_with_a_date\.sql$" "%%(year)d_%%(month).2d...: the name ($REVF)"
    local w1 w2
    w1=$(date -d "@$before" +%Y_%m_%d_%H%M)
    w2=$(date -d "@$after" +%Y_%m_%d_%H%M)
    [[ ${REVF#versions/} == "$w1"* || ${REVF#versions/} == "$w2"* ]]
    ok $? "the date is the local time of the run" "$REVF vs $w1 or $w2"
    like "$(grep '^-- mig:create_date' "$REVF")" "^-- mig:create_date ${REVF:9:4}-${REVF:14:2}-${REVF:17:2} ${REVF:20:2}:${REVF:22:2}:" \
        "the name's date is the create_date of the file"

    sed -i '/^file_template/d' mig.ini
    printf 'file_template = %%%%(epoch)s-%%%%(rev)s\n' >>mig.ini
    newrev -m "epoch"
    local ep=${REVF#versions/}
    ep=${ep%%-*}
    [ "$ep" -ge "$before" ] && [ "$ep" -le "$((after + 5))" ]
    ok $? "%%(epoch)s: the seconds since 1970 ($REVF)"
    is "${REVF#versions/$ep-}" "$REV.sql" "%%(rev)s alone: no slug"

    # a single % works too (mig reads %% as configparser does, then the template)
    sed -i '/^file_template/d' mig.ini
    printf 'file_template = %%(rev)s--%%(slug)s%%%%%%%%\n' >>mig.ini
    newrev -m "single"
    is "$REVF" "versions/${REV}--single%.sql" "%(rev)s with one %, and %%%% for a literal %"

    # truncate_slug_length
    sed -i '/^file_template/d' mig.ini
    printf 'truncate_slug_length = 12\n' >>mig.ini
    newrev -m "a rather long message for a slug"
    is "$REVF" "versions/${REV}_a_rather_.sql" "truncate_slug_length = 12: cut at 12, then after the last '_' (Alembic's rule)"
    newrev -m "short"
    is "$REVF" "versions/${REV}_short.sql" "truncate_slug_length: a short slug is kept"
    sed -i 's/^truncate_slug_length = .*/truncate_slug_length = 0/' mig.ini
    newrev -m "anything"
    is "$REVF" "versions/${REV}.sql" "truncate_slug_length = 0: no slug"
    sed -i 's/^truncate_slug_length = .*/truncate_slug_length = -3/' mig.ini
    m revision -m x
    is_rc 1 "truncate_slug_length = -3: exit 1"
    like "$ERR1" "truncate_slug_length = -3: expected a whole number" "... says what it expects"
    sed -i 's/^truncate_slug_length = .*/truncate_slug_length = 40/' mig.ini
    newrev -m "the quick brown fox jumps over the lazy dog and runs away"
    is "$REVF" "versions/${REV}_the_quick_brown_fox_jumps_over_the_lazy_.sql" "truncate_slug_length = 40: the default cut"

    # sub-folders from the template need recursive_version_locations
    printf 'file_template = %%%%(year)d/%%%%(rev)s_%%%%(slug)s\n' >>mig.ini
    local n
    n=$(find versions -name '*.sql' | wc -l)
    m revision -m "by year"
    is_rc 1 "file_template with a '/' without recursive_version_locations: exit 1"
    like "$ERR1" "puts the file in a sub-folder .*set recursive_version_locations = true" "... says how to fix it"
    is "$(find versions -name '*.sql' | wc -l)" "$n" "... and writes nothing"
    printf 'recursive_version_locations = true\n' >>mig.ini
    newrev -m "by year"
    is_rc 0 "file_template %%(year)d/...: with recursive_version_locations, exit 0"
    like "$REVF" "^versions/[0-9]{4}/${REV}_by_year\.sql$" "... the year's sub-folder is created ($REVF)"
    local yr=$REV
    m heads
    is "$OUT" "$yr (head)" "... and read back: the file in the sub-folder is the head"
    newrev -m "next"
    is "$(grep '^-- mig:down_revision' "$REVF")" "-- mig:down_revision $yr" "the next revision builds on it"

    # malformed templates
    local bad
    for bad in '%%(rev)s_%%(nope)s:unknown token %(nope)' '%%(rev)d:%(rev)d: rev is text' '%%(rev)x:expected s or d' \
        '50%%:a % must start %(NAME)s, or be written %%%% in mig.ini' '.%%(rev)s:starting with' '%%(rev)s/:an empty part'; do
        sed -i '/^file_template/d' mig.ini
        printf 'file_template = %s\n' "${bad%%:*}" >>mig.ini
        m revision -m x
        is_rc 1 "file_template = ${bad%%:*}: exit 1"
        like "$ERR1" "file_template = .*$(sed 's/[][().%*+?^$|\\]/\\&/g' <<<"${bad#*:}")" "file_template = ${bad%%:*}: ${bad#*:}"
    done
    sed -i '/^file_template/d' mig.ini
    printf 'file_template = %%%%(rev)s_%%%%(month)-3d_%%%%(day)03d_%%%%(year).2s\n' >>mig.ini
    newrev -m x
    like "$REVF" "^versions/${REV}_[0-9]{1,2} *_0[0-9]{2}_[0-9]{2}\.sql$" "width, '-', '0' and a precision on text (%%(year).2s) as Python does ($REVF)"
}

# ---- [post_write_hooks] ----------------------------------------------------------------------------------
t_hooks() {
    project hooks
    # a hook that edits the file, with quoted options
    cat >>mig.ini <<'EOF'

[post_write_hooks]
hooks = stamp, tag
stamp.type = exec
stamp.executable = sed
stamp.options = -i "s/^-- mig:upgrade$/-- mig:upgrade\n-- stamped by a hook/" REVISION_SCRIPT_FILENAME
tag.type = exec
tag.executable = ./tools/tag.sh
tag.options = --name "two words"
EOF
    mkdir tools
    printf '#!/bin/sh\n# the file first (Alembic puts REVISION_SCRIPT_FILENAME first when the options do not name it)\nprintf "%%s|" "$@" > "$1.args"\necho "tagged $1"\n' >tools/tag.sh
    chmod +x tools/tag.sh
    hookrev -m "hooked"
    is_rc 0 "revision with two exec hooks: exit 0"
    like "$(sed -n '/^-- mig:upgrade/{n;p}' "$REVF")" "^-- stamped by a hook$" "the first hook edited the file (sed -i with quoted options)"
    is "$(cat "$REVF.args")" "$REVF|--name|two words|" "the second: REVISION_SCRIPT_FILENAME first, then its options split as a shell does"
    is "$OUT" "$(printf 'Generating %s ...  done\nRunning post write hook "stamp" ...\n  done\nRunning post write hook "tag" ...\ntagged %s\n  done' "$REVF" "$REVF")" \
        "the hooks run in order after Generating, Alembic's lines around each"
    rm -f versions/*.args
    m -q revision -m quiet
    is "$OUT" "" "-q: nothing on standard output (the hook's output too)"
    rm -f versions/*.args
    m --json revision -m json
    is_rc 0 "--json revision with hooks: exit 0"
    like "$(jq_ "$OUT" '$j->{path}')" "^versions/[0-9a-f]{12}_json\.sql$" "--json: standard output is the JSON document only"
    like "$ERR" "tagged versions/" "--json: the hook's output goes to standard error"
    rm -f versions/*.args
    newrev -m "side" --head base
    m merge -m "join" heads
    is_rc 0 "merge with hooks: exit 0"
    like "$OUT" "Running post write hook \"stamp\"" "merge runs the hooks too"
    local mf
    mf=$(ls versions/*_join.sql)
    is "$(grep -c '^-- stamped by a hook$' "$mf")" 1 "merge: the hook edited the merge file"
    rm -f versions/*.args

    # a failing hook: reported with its exit status, the file is kept
    sed -i 's/^hooks = .*/hooks = stamp, fails, tag/' mig.ini
    printf 'fails.type = exec\nfails.executable = sh\nfails.options = -c "exit 3" REVISION_SCRIPT_FILENAME\n' >>mig.ini
    hookrev -m "broken hook"
    is_rc 1 "a hook that exits 3: exit 1"
    like "$ERR1" "post write hook \"fails\" \(sh\) failed with exit status 3; versions/[0-9a-f]{12}_broken_hook\.sql is written and kept" \
        "... names the hook, its status and the file"
    [ -n "$REVF" ] && [ -f "$REVF" ]
    ok $? "the file is kept ($REVF)"
    [ ! -e "$REVF.args" ]
    ok $? "the hooks after the failing one do not run"
    m heads
    like "$OUT" "$REV" "the kept file is a revision like any other"
    # a hook killed by a signal
    sed -i 's/^fails.options = .*/fails.options = -c "kill -TERM $$" REVISION_SCRIPT_FILENAME/' mig.ini
    newrev -m "killed hook"
    is_rc 1 "a hook killed by a signal: exit 1"
    like "$ERR1" "post write hook \"fails\" \(sh\) was killed by signal 15" "... says which signal"
    # a program that does not exist
    sed -i 's/^hooks = .*/hooks = missing/' mig.ini
    printf 'missing.type = exec\nmissing.executable = no-such-formatter-xyz\n' >>mig.ini
    newrev -m "missing program"
    is_rc 1 "a hook whose program is missing: exit 1"
    like "$ERR" "cannot run no-such-formatter-xyz: No such file or directory" "... says it cannot run it"
    like "$ERR" "failed with exit status 127" "... with status 127, as a shell says"
    # cwd: the hook runs there, with the file's absolute path
    sed -i 's/^hooks = .*/hooks = where/' mig.ini
    mkdir -p work
    printf 'where.type = exec\nwhere.executable = sh\nwhere.cwd = work\nwhere.options = -c "pwd > here.txt; echo \\"\\$1\\" >> here.txt" sh REVISION_SCRIPT_FILENAME\n' >>mig.ini
    hookrev -m "cwd"
    is_rc 0 "NAME.cwd: exit 0"
    is "$(head -n 1 work/here.txt)" "$(pwd -P)/work" "NAME.cwd (relative to mig.ini): the hook runs there"
    is "$(tail -n 1 work/here.txt)" "$(pwd -P)/$REVF" "NAME.cwd: REVISION_SCRIPT_FILENAME is the absolute path"

    # hooks that are not listed are allowed (that is how one is turned off)
    sed -i 's/^hooks = .*/hooks =/' mig.ini
    newrev -m "no hooks"
    is_rc 0 "hooks = (none), other keys kept: exit 0"
    unlike "$OUT" "Running post write hook" "hooks = (none): nothing runs"

    # configuration errors
    cp mig.ini mig.ini.good
    printf '[mig]\nurl = sqlite:mig.db\n[post_write_hooks]\nhooks = black\nblack.type = console_scripts\nblack.entrypoint = black\n' >mig.ini
    local n
    n=$(ls versions | wc -l)
    m revision -m x
    is_rc 1 "type console_scripts: exit 1"
    like "$ERR1" "post write hook \"black\" has type console_scripts, which runs a Python entry point.*black.type = exec" \
        "console_scripts: refused, saying to use type = exec"
    is "$(ls versions | wc -l)" "$n" "a refused hook configuration writes no file"
    printf '[mig]\nurl = sqlite:mig.db\n[post_write_hooks]\nhooks = fmt\nfmt.executable = x\n' >mig.ini
    m revision -m x
    is_rc 1 "a hook without type: exit 1"
    like "$ERR1" "key fmt.type is required for post write hook \"fmt\"" "... Alembic's words"
    printf '[mig]\nurl = sqlite:mig.db\n[post_write_hooks]\nhooks = fmt\nfmt.type = exec\n' >mig.ini
    m revision -m x
    is_rc 1 "an exec hook without executable: exit 1"
    like "$ERR1" "key fmt.executable is required" "... names the key"
    printf '[mig]\nurl = sqlite:mig.db\n[post_write_hooks]\nhooks = fmt\nfmt.type = module\nfmt.module = ruff\n' >mig.ini
    m revision -m x
    is_rc 1 "an unknown hook key: exit 1"
    like "$ERR1" "unknown key \"fmt.module\" in section \[post_write_hooks\]" "... names the key"
    printf '[mig]\nurl = sqlite:mig.db\n[post_write_hooks]\nhooks = fmt\nfmt.type = module\n' >mig.ini
    m revision -m x
    is_rc 1 "an unknown hook type: exit 1"
    like "$ERR1" "unknown type \"module\" \(mig runs type exec\)" "... names the type"
    printf '[mig]\nurl = sqlite:mig.db\n[post_write_hooks]\nhooks = fmt\nfmt.type = exec\nfmt.executable = x\nfmt.options = "unclosed\n' >mig.ini
    m revision -m x
    is_rc 1 "options with an unclosed quote: exit 1"
    like "$ERR1" "fmt.options: no closing quotation" "... says so"
    # a broken hook configuration does not stop the commands that write no file
    rev_file versions/zz.sql zz "" "CREATE TABLE zz (x INTEGER);" "DROP TABLE zz;"
    printf '[mig]\nurl = sqlite:mig.db\nversions = only\n[post_write_hooks]\nhooks = fmt\nfmt.type = console_scripts\n' >mig.ini
    mkdir -p only && cp versions/zz.sql only/
    m upgrade
    is_rc 0 "a broken [post_write_hooks]: upgrade still works"
    m -n post_write_hooks current
    is_rc 1 "-n post_write_hooks: exit 1"
    like "$ERR1" "\[post_write_hooks\] is not an environment" "... it is not an environment"
}

# ---- unknown keys are errors ----------------------------------------------------------------------------
t_unknown() {
    project unknown
    cp mig.ini mig.ini.good
    printf 'colour = blue\n' >>mig.ini
    m current
    is_rc 1 "an unknown key: exit 1"
    like "$ERR1" "unknown key \"colour\" in section \[mig\]" "... names the key and the section"
    like "$ERR1" "known: url, versions, env, version_locations, recursive_version_locations, file_template, truncate_slug_length" \
        "... lists the known keys"
    cp mig.ini.good mig.ini
    printf 'sqlalchemy.url = sqlite:///x.db\n' >>mig.ini
    m current
    is_rc 1 "sqlalchemy.url: exit 1"
    like "$ERR" "sqlalchemy.url is Alembic's name: write url = " "sqlalchemy.url: says to write url"
    cp mig.ini.good mig.ini
    printf 'prepend_sys_path = .\n' >>mig.ini
    m current
    is_rc 1 "prepend_sys_path: exit 1"
    like "$ERR" "an alembic.ini key that mig does not use" "prepend_sys_path: says mig does not use it"
    cp mig.ini.good mig.ini
    printf '\n[other]\nflavour = x\n' >>mig.ini
    m current
    is_rc 0 "an unknown key in another section: not checked (exit 0)"
    m -n other current
    is_rc 1 "... but checked when that section is chosen"
    like "$ERR1" "unknown key \"flavour\" in section \[other\]" "... naming it"
    # the new keys in their places
    printf '[mig]\nurl = sqlite:mig.db\nversions = versions\nrecursive_version_locations = false\ntruncate_slug_length = 20\nfile_template = %%%%(rev)s_%%%%(slug)s\n' >mig.ini
    m heads
    is_rc 0 "every supported key at once: exit 0"
    m --help
    like "$OUT" "COMMAND" "--help still works"
    m revision --help
    like "$OUT" "--version-path DIR" "revision --help names --version-path"
}

for s in ${SECTIONS:-$ALL_SECTIONS}; do
    want "$s" || continue
    cd "$T" || bail "cd $T"
    printf '# --- %s\n' "$s"
    "t_$s"
done
checker_summary
done_testing
