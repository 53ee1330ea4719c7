#!/usr/bin/perl
# scn2sql.pl — turn the traversal scenarios (tests/scenarios/*.scn, format
# in tests/scenarios/README.md) into what the sqlite3 shell runs, for
# tests/run/20-sqlite-scenarios.t.
#
#   perl scn2sql.pl OUTDIR FILE.scn...
#
# Each scenario gets a directory OUTDIR/NNN/ with one revision file per
# `rev` line in rev/ (upgrade body: INSERT INTO log '+ID', downgrade body: '-ID').
# OUTDIR/plan.tsv lists the steps in order, each with the sqlite3 script
# (in the scenario's directory) that performs it:
#
#   new     DIR  -       NAME                          a fresh database
#   upload  DIR  uK.sql                                consecutive rev lines:
#                                                      mig_put_revision() each
#   state   DIR  sK.sql  WANT-HEADS                    mig_stamp(ids, purge)
#   cmd     DIR  cK.sql  LABEL WANT-STEPS WANT-HEADS WANT-ERROR
#   graph   DIR  cK.sql  LABEL -          -          WANT-ERROR
#
# WANT-HEADS are sorted and space-separated.  The first upload of a scenario
# also creates the log table and empties the version state (which creates
# the state tables in a scenario without revisions).  A `state` naming ids
# that the scenario never defines writes mig_version directly, as no API
# call can.  A command's script prints tagged lines: RET:<the call's
# result> (absent when it fails), LOG:<the steps the bodies logged>,
# CUR:<mig_current()>, HIST:<new non-stamp mig_history rows as +ID/-ID>, and
# writes .dump snapshots before.dump / after.dump around the call.  A graph
# line's script calls mig_heads(), which loads the whole graph.
use strict;
use warnings;

my $out = shift @ARGV or die "usage: $0 OUTDIR FILE.scn...\n";
mkdir $out;
open my $plan, '>', "$out/plan.tsv" or die "$out/plan.tsv: $!\n";

my $nscn = 0;
my ($dir, $name, %known, $k, @pending, $first_upload);

sub q_sql { my $s = shift; $s =~ s/'/''/g; return "'$s'"; }
sub sorted { return join ' ', sort split ' ', (shift // ''); }

sub write_file {
    my ($path, $text) = @_;
    # durability is not under test here; without fsync the ~1000 sqlite3 runs
    # take seconds instead of a minute
    $text = "PRAGMA synchronous = OFF;\n$text" if $path =~ m{/\d{3}/[ucs]\d+\.sql$};
    open my $f, '>', $path or die "$path: $!\n";
    print $f $text;
    close $f;
}

sub step { print $plan join("\t", @_), "\n"; }

sub flush_revs {
    return unless @pending || $first_upload;
    $k++;
    my $sql = '';
    $sql .= "CREATE TABLE log (step TEXT NOT NULL);\n" if $first_upload;
    $sql .= "SELECT mig_put_revision(readfile(" . q_sql("$_.sql") . "));\n" for @pending;
    $sql .= "SELECT 'CUR:' || mig_stamp('base', '{\"purge\": true}');\n" if $first_upload;
    write_file("$out/$dir/u$k.sql", $sql);
    step('upload', $dir, "u$k.sql");
    @pending = ();
    $first_upload = 0;
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
    # several `rev` lines may repeat an id (duplicate_revision_id): keep both files
    mkdir "$out/$dir/rev";
    my $file = "rev/$id";
    $file .= '~' while -e "$out/$dir/$file.sql";
    write_file("$out/$dir/$file.sql", $src);
    $known{$id} = 1;
    push @pending, $file;
}

sub command_sql {
    my $call = shift;
    return <<"EOF";
DELETE FROM log;
CREATE TEMP TABLE h0 AS SELECT coalesce(max(id), 0) AS m FROM mig_history;
.output before.dump
.dump
.output stdout
SELECT 'RET:' || $call;
.output after.dump
.dump
.output stdout
SELECT 'LOG:' || coalesce(group_concat(step, ' '), '') FROM (SELECT step FROM log ORDER BY rowid);
SELECT 'CUR:' || mig_current();
SELECT 'HIST:' || coalesce(group_concat(CASE direction WHEN 'upgrade' THEN '+' ELSE '-' END || revision, ' '), '')
  FROM (SELECT direction, revision FROM mig_history WHERE id > (SELECT m FROM h0) AND direction <> 'stamp' ORDER BY id);
EOF
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
            $nscn++;
            $dir = sprintf '%03d', $nscn;
            mkdir "$out/$dir";
            $name = $1;
            $k = 0;
            $first_upload = 1;
            %known = ();
            @pending = ();
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
            my $sql;
            if (grep { !$known{$_} } @ids) {
                $sql = "DELETE FROM mig_version WHERE env = 'default';\n"
                    . join('', map { "INSERT INTO mig_version (env, tenant, version_num) VALUES ('default', '', " . q_sql($_) . ");\n" } @ids);
            } else {
                $sql = "SELECT mig_stamp(" . q_sql(@ids ? join(' ', @ids) : 'base') . ", '{\"purge\": true}');\n";
            }
            $sql .= "SELECT 'CUR:' || coalesce(group_concat(version_num, ' '), '') FROM (SELECT version_num FROM mig_version WHERE env = 'default' ORDER BY version_num);\n";
            write_file("$out/$dir/s$k.sql", $sql);
            step('state', $dir, "s$k.sql", sorted(join ' ', @ids));
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
        write_file("$out/$dir/c$k.sql", command_sql($call));
        step($kind, $dir, "c$k.sql", $label, $want_steps || '-', $want_heads || '-', $want_err || '-');
    }
    close $in;
}
close $plan;
