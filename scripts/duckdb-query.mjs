// Runs SQL in an in-memory DuckDB and prints each result as aligned columns under a header, the
// way `sqlite3 -column -header` does: how scripts/loop-demo.sh reads the hub's lake. DuckDB comes
// from the npm package @duckdb/node-api (its engine ships inside), installed in MODULES_DIR; it is
// resolved from there rather than from beside this file, so the repository holds no node_modules.
//
// usage: node scripts/duckdb-query.mjs MODULES_DIR SQL...
import { createRequire } from 'node:module';
import path from 'node:path';

const [modules, ...queries] = process.argv.slice(2);
const require = createRequire(path.resolve(modules) + '/');
const { DuckDBInstance } = require('@duckdb/node-api');

const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
for (const [n, sql] of queries.entries()) {
  const reader = await con.runAndReadAll(sql);
  const rows = [reader.columnNames(), ...reader.getRowsJson().map((r) => r.map((v) => String(v ?? '')))];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r) => r.map((v, c) => v.padEnd(widths[c])).join('  ').trimEnd();
  if (n > 0) console.log();
  console.log(line(rows[0]));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const r of rows.slice(1)) console.log(line(r));
}
