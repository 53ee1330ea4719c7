#!/usr/bin/perl
# scn2psql.pl — turn the traversal scenarios (tests/scenarios/*.scn, format
# in tests/scenarios/README.md) into psql scripts, for tests/pg/t_scenarios.sh.
# The PostgreSQL twin of tests/sqlite/scn2sql.pl.
#
#   perl scn2psql.pl OUTDIR FILE.scn...
#
# Each scenario becomes one psql script OUTDIR/NNN.sql, run in one session
# (autocommit, psql -v ON_ERROR_STOP=0, so every call is its own top-level
# transaction as a user would make it).  It starts from nothing: DROP
# EXTENSION mig CASCADE, CREATE EXTENSION mig, a fresh table
# log (n serial, step text); every revision's upgrade body inserts '+ID'
# into it, its downgrade body '-ID'.  OUTDIR/plan.tsv lists the steps in
# order, each with the key K of its part of the script:
#
#   new     NNN  -   NAME                                 the scenario's script
#   upload  NNN  uK                                       consecutive rev lines:
#                                                         mig_put_revision() each
#   state   NNN  sK  WANT-HEADS                           mig_stamp(ids, purge)
#   cmd     NNN  cK  LABEL WANT-STEPS WANT-HEADS WANT-ERROR
#   graph   NNN  cK  LABEL -          -          WANT-ERROR
#
# WANT-HEADS are sorted and space-separated; '-' stands for empty.  The
# script prints (stdout, psql -At) tagged lines K|TAG|VALUE:
#
#   setup|OK|...     the extension was created (absent: the setup failed)
#   cK|SNAP0|...     a snapshot (md5 per table: mig_revision, mig_version,
#   cK|SNAP1|...     mig_history, log, and the list of relations) before and
#                    after the call
#   cK|RET|...       the call's result (absent when the call failed)
#   cK|LOG|...       the steps the bodies logged, in order
#   cK|CUR|...       mig_current() after the call
#   cK|HIST|...      the new non-stamp mig_history rows, as +ID/-ID
#   sK|CUR|...       the version rows after mig_stamp (before any repair)
#   K|FORCED|...     the version rows did not match and were written directly
#
# and writes `\warn K|BEGIN` / `\warn K|END` to stderr around each call (each
# upload group; K.cur around a command's mig_current()), so that the error
# psql reports (ERROR, DETAIL, HINT) can be attributed to it.  A `state` naming ids the scenario never defines writes
# mig.mig_version directly, as no API call can; after a state line or a
# command, the version rows are forced to what the scenario expects when
# they differ (test harness repair: one failure does not cascade).  A graph
# line only calls mig_heads(), which loads the whole graph (RET or an error).
use strict;
use warnings;

my $out = shift @ARGV or die "usage: $0 OUTDIR FILE.scn...\n";
mkdir $out;
open my $plan, '>', "$out/plan.tsv" or die "$out/plan.tsv: $!\n";

my $nscn = 0;
my ($dir, $name, %known, $k, @pending, $script, $expected);

sub q_sql { my $s = shift; $s =~ s/'/''/g; return "'$s'"; }
sub sorted { return join ' ', sort split ' ', (shift // ''); }
sub step { print $plan join("\t", map { $_ eq '' ? '-' : $_ } @_), "\n"; }

# every relation outside the system schemas, and the rows of the state
# tables and of log; sequences are left out (nextval is not transactional)
my $SNAPSHOT = <<'EOF';
concat_ws(' ',
  'rev=' || md5(coalesce((SELECT string_agg(t::text, E'\n' ORDER BY t.seq) FROM mig.mig_revision t), '')),
  'ver=' || md5(coalesce((SELECT string_agg(t::text, E'\n' ORDER BY t::text COLLATE "C") FROM mig.mig_version t), '')),
  'hist=' || md5(coalesce((SELECT string_agg(t::text, E'\n' ORDER BY t.id) FROM mig.mig_history t), '')),
  'log=' || md5(coalesce((SELECT string_agg(t::text, E'\n' ORDER BY t.n) FROM public.log t), '')),
  'rels=' || md5(coalesce((SELECT string_agg(n.nspname || '.' || c.relname || ':' || c.relkind::text || ':' || c.relnatts, E'\n'
                                             ORDER BY n.nspname COLLATE "C", c.relname COLLATE "C")
                           FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                           WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'), '')))
EOF
chomp $SNAPSHOT;

my $ROWS = "coalesce((SELECT string_agg(version_num, ' ' ORDER BY version_num COLLATE \"C\") "
    . "FROM mig.mig_version WHERE env = 'default' AND tenant = ''), '')";

sub write_rows {
    my @ids = split ' ', shift;
    return "DELETE FROM mig.mig_version WHERE env = 'default';\n"
        . join('', map { "INSERT INTO mig.mig_version (env, tenant, version_num) VALUES ('default', '', " . q_sql($_) . ");\n" } @ids);
}

# make the version rows what the scenario expects when they are not
sub repair {
    my $key = shift;
    return "SELECT $ROWS <> " . q_sql($expected) . " AS mig_force \\gset\n"
        . "\\if :mig_force\n"
        . "SELECT '$key|FORCED|' || $ROWS;\n"
        . write_rows($expected)
        . "\\endif\n";
}

sub flush_revs {
    return unless @pending;
    $k++;
    $script .= "\\warn u$k|BEGIN\n";
    $script .= "SELECT mig_put_revision(\$r\$$_\$r\$);\n" for @pending;
    $script .= "\\warn u$k|END\n";
    step('upload', $dir, "u$k");
    @pending = ();
}

sub add_rev {
    my ($id, $opts) = @_;
    my %o = map { /^(\w+)=(.*)$/ ? ($1 => $2) : () } split ' ', $opts;
    my $src = "-- mig:revision $id\n";
    $src .= "-- mig:down_revision " . join(', ', split /,/, $o{down}) . "\n" if defined $o{down};
    $src .= "-- mig:branch_labels " . join(', ', split /,/, $o{labels}) . "\n" if defined $o{labels};
    $src .= "-- mig:depends_on " . join(', ', split /,/, $o{depends}) . "\n" if defined $o{depends};
    $src .= "-- mig:message scenario $name, revision $id\n\n";
    $src .= "-- mig:upgrade\nINSERT INTO log (step) VALUES ('+$id');\n\n";
    $src .= "-- mig:downgrade\nINSERT INTO log (step) VALUES ('-$id');\n";
    die "revision $id: its source would end the dollar quote\n" if $src =~ /\$r\$/;
    $known{$id} = 1;
    push @pending, $src;
}

sub command_sql {
    my ($key, $call) = @_;
    # a graph line: only the call (mig_current() fails on an invalid graph too)
    return "\\warn $key|BEGIN\nSELECT '$key|RET|' || coalesce($call, '(null)');\n\\warn $key|END\n"
        if $call eq 'mig_heads()';
    return <<"EOF";
DELETE FROM log;
SELECT coalesce(max(id), 0) AS mig_h0 FROM mig.mig_history \\gset
SELECT '$key|SNAP0|' || $SNAPSHOT;
\\warn $key|BEGIN
SELECT '$key|RET|' || coalesce($call, '(null)');
\\warn $key|END
SELECT '$key|SNAP1|' || $SNAPSHOT;
SELECT '$key|LOG|' || coalesce(string_agg(step, ' ' ORDER BY n), '') FROM log;
\\warn $key.cur|BEGIN
SELECT '$key|CUR|' || coalesce(mig_current(), '(null)');
\\warn $key.cur|END
SELECT '$key|HIST|' || coalesce(string_agg(CASE direction WHEN 'upgrade' THEN '+' ELSE '-' END || revision, ' ' ORDER BY id), '')
  FROM mig.mig_history WHERE id > :mig_h0 AND direction <> 'stamp';
EOF
}

sub finish_scenario {
    return unless defined $dir;
    open my $f, '>', "$out/$dir.sql" or die "$out/$dir.sql: $!\n";
    print $f $script;
    close $f;
}

for my $file (@ARGV) {
    open my $in, '<', $file or die "$file: $!\n";
    (my $base = $file) =~ s{.*/}{};
    my $lineno = 0;
    while (my $line = <$in>) {
        $lineno++;
        $line =~ s/^\s+|\s+$//g;
        next if $line eq '' || $line =~ /^#/;
        if ($line =~ /^scenario\s+(.*)$/) {
            finish_scenario();
            $nscn++;
            $dir = sprintf '%03d', $nscn;
            $name = $1;
            $k = 0;
            %known = ();
            @pending = ();
            $expected = '';
            $script = <<'EOF';
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS mig CASCADE;
CREATE EXTENSION mig;
DROP TABLE IF EXISTS public.log;
CREATE TABLE public.log (n serial PRIMARY KEY, step text NOT NULL);
SELECT 'setup|OK|' || extversion FROM pg_extension WHERE extname = 'mig';
EOF
            step('new', $dir, '-', $name);
            next;
        }
        die "$file:$lineno: no scenario yet\n" unless defined $dir;
        if ($line =~ /^rev\s+(\S+)\s*(.*)$/) {
            add_rev($1, $2);
            next;
        }
        flush_revs();
        $k++;
        if ($line =~ /^state(?:\s+(.*))?$/) {
            my @ids = split ' ', ($1 // '');
            $expected = sorted(join ' ', @ids);
            if (grep { !$known{$_} } @ids) {
                $script .= write_rows($expected);
            } else {
                $script .= "\\warn s$k|BEGIN\n"
                    . "SELECT mig_stamp(" . q_sql(@ids ? join(' ', @ids) : 'base') . ", '{\"purge\": true}');\n"
                    . "\\warn s$k|END\n";
            }
            $script .= "SELECT 's$k|CUR|' || $ROWS;\n" . repair("s$k");
            step('state', $dir, "s$k", $expected);
            next;
        }
        my ($lhs, $rhs) = split /=>/, $line, 2;
        die "$file:$lineno: no '=>' in '$line'\n" unless defined $rhs;
        $lhs =~ s/^\s+|\s+$//g;
        $rhs =~ s/^\s+|\s+$//g;
        my ($verb, $args) = $lhs =~ /^(\S+)\s*(.*)$/;
        my ($want_steps, $want_heads, $want_err) = ('', '', '');
        if ($rhs =~ /^error\s*(.*)$/) {
            $want_err = $1 eq '' ? 'error' : $1;
        } else {
            my ($s, $h) = split /;/, $rhs, 2;
            $want_steps = join ' ', split ' ', ($s // '');
            $h //= '';
            $h =~ s/^\s*heads\b//;
            $want_heads = sorted($h);
        }
        my $label = "$base:$lineno [$name] $lhs => $rhs";
        my $kind = 'cmd';
        my $call;
        if ($verb eq 'upgrade' || $verb eq 'downgrade') {
            $call = "mig_$verb(" . q_sql($args) . ")";
        } elsif ($verb eq 'stamp') {
            my @t = split ' ', $args;
            my $purge = grep { $_ eq '--purge' } @t;
            @t = grep { $_ ne '--purge' } @t;
            $call = "mig_stamp(" . q_sql(join ' ', @t) . ($purge ? ", '{\"purge\": true}'" : '') . ")";
        } elsif ($verb eq 'graph') {
            $kind = 'graph';
            $call = "mig_heads()";
        } else {
            die "$file:$lineno: unknown command '$verb'\n";
        }
        $script .= command_sql("c$k", $call);
        if ($kind eq 'cmd') {
            $expected = $want_heads unless $want_err;
            $script .= repair("c$k");
        }
        step($kind, $dir, "c$k", $label, $want_steps, $want_heads, $want_err);
    }
    close $in;
}
finish_scenario();
close $plan;
