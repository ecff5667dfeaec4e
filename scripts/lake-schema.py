#!/usr/bin/python3
"""Print the statements that read a hub's lake, with explicit schemas taken from schemas/.

usage: scripts/lake-schema.py ENGINE [KIND...] [--lake PATH]

ENGINE: duckdb, spark, trino or clickhouse. KIND: insights, anomalies, items, quarantine, models,
summaries, drift, shadow (default: all). PATH: where the lake is, as the engine names it (default 'lake').

Every record kind of the lake (docs/hub.md) is the NDJSON export record of its payload file, whose
JSON Schema is schemas/export-<record>.schema.json. Types map as follows: string -> text,
integer -> 64-bit integer, number -> double, boolean -> boolean, an array of numbers -> an array of
doubles, an object (an item's payload, a model's spec) -> its JSON text (DuckDB: JSON). A field
that may be null, or that not every record has, is nullable. The partition columns, site and
date, come from the folder names.
"""
import json
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KINDS = {"insights": "insight", "anomalies": "anomaly", "items": "item", "quarantine": "quarantine",
         "models": "model", "summaries": "summary", "drift": "drift", "shadow": "shadow"}
TYPES = {  # JSON Schema type -> per engine
    "string": {"duckdb": "VARCHAR", "spark": "STRING", "trino": "varchar", "clickhouse": "String"},
    "integer": {"duckdb": "BIGINT", "spark": "BIGINT", "trino": "bigint", "clickhouse": "Int64"},
    "number": {"duckdb": "DOUBLE", "spark": "DOUBLE", "trino": "double", "clickhouse": "Float64"},
    "boolean": {"duckdb": "BOOLEAN", "spark": "BOOLEAN", "trino": "boolean", "clickhouse": "Bool"},
    "array": {"duckdb": "DOUBLE[]", "spark": "ARRAY<DOUBLE>", "trino": "array(double)", "clickhouse": "Array(Float64)"},
    "object": {"duckdb": "JSON", "spark": "STRING", "trino": "varchar", "clickhouse": "String"},
}


def columns(kind):
    """(name, JSON Schema type, nullable) per field of the kind's records, in the schema's order."""
    schema = json.load(open(os.path.join(REPO, "schemas", f"export-{KINDS[kind]}.schema.json")))
    out = []
    for name, prop in schema["properties"].items():
        types = prop.get("type")
        if types is None:  # const or enum: the type of its values
            value = prop["const"] if "const" in prop else prop["enum"][0]
            types = {bool: "boolean", str: "string", int: "integer"}[type(value)]
        types = types if isinstance(types, list) else [types]
        base = [t for t in types if t != "null"]
        if len(base) != 1 or base[0] not in TYPES:
            sys.exit(f"lake-schema: {kind}.{name}: cannot map type {types}")
        if base[0] == "array" and prop.get("items", {}).get("type") != "number":
            sys.exit(f"lake-schema: {kind}.{name}: only arrays of numbers are mapped")
        out.append((name, base[0], "null" in types or name not in schema["required"]))
    return out


def duckdb(kind, lake):
    cols = ", ".join(f"{n}: '{TYPES[t]['duckdb']}'" for n, t, _ in columns(kind))
    return (f"CREATE VIEW {kind} AS SELECT * FROM read_ndjson('{lake}/{kind}/*/*/*.ndjson.zst',\n"
            f"    hive_partitioning = true, hive_types = {{'site': VARCHAR, 'date': DATE}},\n"
            f"    columns = {{{cols}}});")


def spark(kind, lake):
    cols = ", ".join(f"`{n}` {TYPES[t]['spark']}" for n, t, _ in columns(kind))
    return (f'{kind} = (spark.read.schema("{cols}, `date` DATE")\n'
            f'    .option("basePath", "{lake}/{kind}").json("{lake}/{kind}"))')


def trino(kind, lake):
    cols = [f'  "{n}" {TYPES[t]["trino"]}' for n, t, _ in columns(kind) if n != "site"]
    cols += ['  "site" varchar', '  "date" date']
    return (f"CREATE TABLE hive.lake.{kind} (\n" + ",\n".join(cols) + "\n) WITH (format = 'JSON', "
            f"partitioned_by = ARRAY['site', 'date'],\n    external_location = '{lake}/{kind}');\n"
            f"CALL hive.system.sync_partition_metadata('lake', '{kind}', 'ADD');")


def clickhouse(kind, lake):
    def ch(t, nullable):
        base = TYPES[t]["clickhouse"]
        return f"Nullable({base})" if nullable and t not in ("array",) else base
    cols = ", ".join(f"{n} {ch(t, nullable)}" for n, t, nullable in columns(kind))
    return (f"CREATE VIEW {kind} AS SELECT * FROM file('{lake}/{kind}/*/*/*.ndjson.zst', 'JSONEachRow',\n"
            f"    '{cols}')\n    SETTINGS use_hive_partitioning = 1;")


def main(argv):
    lake = "lake"
    if "--lake" in argv:
        i = argv.index("--lake")
        lake = argv[i + 1]
        argv = argv[:i] + argv[i + 2:]
    engines = {"duckdb": duckdb, "spark": spark, "trino": trino, "clickhouse": clickhouse}
    if not argv or argv[0] not in engines:
        sys.exit(__doc__.strip().splitlines()[2])
    kinds = argv[1:] or list(KINDS)
    for k in kinds:
        if k not in KINDS:
            sys.exit(f"lake-schema: unknown kind '{k}' (use {', '.join(KINDS)})")
    print("\n\n".join(engines[argv[0]](k, lake) for k in kinds))


if __name__ == "__main__":
    main(sys.argv[1:])
