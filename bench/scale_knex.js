// bench/scale_knex.js — the knex reference of bench/scale.sh: one knex
// migrator command on a folder of generated migrations (gen_chain.py --knex).
//
//   node scale_knex.js COMMAND DRIVER DATABASE DIR
//
// COMMAND  latest   knex.migrate.latest(): every pending migration, in one
//                    transaction (knex's default); prints the number run
//          status   knex.migrate.status(): 0 when nothing is pending, minus
//                    the number pending otherwise (what `knex migrate:status`
//                    reports); printed
//          current  knex.migrate.currentVersion(): the prefix of the last
//                    migration's name (`knex migrate:currentVersion`); printed
// DRIVER   better-sqlite3 or sqlite3 (DATABASE: the file), or pg (DATABASE:
//          the database name; the server from PGHOST, PGPORT, PGUSER)
//
// knex and its drivers are found through NODE_PATH (scale.sh installs them
// outside the repository). Exits non-zero on any error.
'use strict';

const [command, driver, database, dir] = process.argv.slice(2);
if (!dir || !['latest', 'status', 'current'].includes(command)) {
    console.error('usage: node scale_knex.js latest|status|current DRIVER DATABASE DIR');
    process.exit(2);
}

let config;
if (driver === 'pg') {
    config = {
        client: 'pg',
        connection: {
            host: process.env.PGHOST,
            port: Number(process.env.PGPORT || 5432),
            user: process.env.PGUSER || 'postgres',
            database,
        },
    };
} else if (driver === 'better-sqlite3' || driver === 'sqlite3') {
    config = { client: driver, connection: { filename: database }, useNullAsDefault: true };
} else {
    console.error(`scale_knex.js: unknown driver ${driver}`);
    process.exit(2);
}
config.migrations = { directory: dir, loadExtensions: ['.js'] };

const knex = require('knex')(config);

async function main() {
    if (command === 'latest') {
        const [, log] = await knex.migrate.latest();
        console.log(log.length);
    } else if (command === 'status') {
        console.log(await knex.migrate.status());
    } else {
        console.log(await knex.migrate.currentVersion());
    }
}

main().then(
    () => knex.destroy(),
    (err) => {
        console.error(err && err.stack ? err.stack : String(err));
        return knex.destroy().finally(() => process.exit(1));
    },
);
