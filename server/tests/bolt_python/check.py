"""Drives a CareGraph Bolt server with the official Neo4j Python driver.

Usage: python check.py HOST:PORT, with CAREGRAPH_TEST_USER and
CAREGRAPH_TEST_PASSWORD (a user of the server's users file),
CAREGRAPH_TEST_TOKEN (a valid bearer token) and CAREGRAPH_TEST_EXPIRED_TOKEN
in the environment. Prints one line per check and exits non-zero (with the
failing assertion) when a check fails.
"""

import datetime
import os
import sys

import neo4j
from neo4j import GraphDatabase
from neo4j.exceptions import AuthError, ClientError
from neo4j.time import Date, DateTime, Duration, Time

address = sys.argv[1]
auth = (os.environ["CAREGRAPH_TEST_USER"], os.environ["CAREGRAPH_TEST_PASSWORD"])


def check(name, condition, detail=""):
    if not condition:
        raise AssertionError(f"{name}: {detail}")
    print(f"ok {name}")


with GraphDatabase.driver(f"bolt://{address}", auth=auth) as driver:
    driver.verify_connectivity()
    with driver.session() as session:
        version = session.run("RETURN 1").consume().server.protocol_version
        check("bolt 5", version[0] == 5, version)

        summary = session.run(
            "CREATE (p:Patient {id: $id, name: $name, born: $born})"
            "-[:HAS_CONDITION {since: $since}]->(:Condition {code: 'I10'})",
            id="p1",
            name="Ann",
            born=datetime.date(1980, 5, 1),
            since=datetime.datetime(2020, 1, 1, 10, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=1))),
        ).consume()
        check("counters", summary.counters.nodes_created == 2
              and summary.counters.relationships_created == 1, summary.counters)

        record = session.run(
            "MATCH path = (p:Patient {id: $id})-[r]->(c) RETURN p, r, c, path, p.born AS born, r.since AS since",
            id="p1",
        ).single()
        p, r, c, path = record["p"], record["r"], record["c"], record["path"]
        check("node", set(p.labels) == {"Patient"} and p["name"] == "Ann", p)
        check("element id", p.element_id.startswith("n:"), p.element_id)
        check("relationship", r.type == "HAS_CONDITION" and r.start_node.element_id == p.element_id
              and r.end_node.element_id == c.element_id, r)
        check("path", len(path.nodes) == 2 and len(path.relationships) == 1
              and path.start_node.element_id == p.element_id, path)
        check("date", record["born"] == Date(1980, 5, 1), record["born"])
        since = record["since"]
        check("datetime", isinstance(since, DateTime) and since.utcoffset() == datetime.timedelta(hours=1)
              and since.hour == 10, since)

        record = session.run(
            "RETURN [1, 'two', 3.0] AS l, {a: 1, b: [true, null]} AS m, "
            "localtime('12:34:56.789') AS lt, time('01:02:03+05:00') AS t, "
            "localdatetime('2021-02-03T04:05:06') AS ldt, duration('P1Y2M3DT4H5M6.5S') AS d, "
            "datetime('2024-03-31T02:30:00[Europe/Stockholm]') AS zoned"
        ).single()
        check("list", record["l"] == [1, "two", 3.0], record["l"])
        check("map", record["m"] == {"a": 1, "b": [True, None]}, record["m"])
        check("localtime", record["lt"] == Time(12, 34, 56.789).replace(nanosecond=789000000), record["lt"])
        check("time", record["t"].utcoffset() == datetime.timedelta(hours=5), record["t"])
        check("localdatetime", record["ldt"] == DateTime(2021, 2, 3, 4, 5, 6), record["ldt"])
        check("duration", record["d"] == Duration(years=1, months=2, days=3, hours=4, minutes=5,
                                                  seconds=6, nanoseconds=500000000), record["d"])
        zoned = record["zoned"]
        check("zoned datetime", zoned.tzinfo is not None and "Stockholm" in str(zoned.tzinfo)
              and zoned.hour == 3, zoned)

        back = session.run("RETURN $z AS z, $d AS d", z=zoned, d=record["d"]).single()
        check("temporal parameters", back["z"] == zoned and back["d"] == record["d"], back)

        result = session.run("UNWIND range(1, 2500) AS i RETURN i")
        check("long result in batches", sum(rec["i"] for rec in result) == 2500 * 2501 // 2)

        try:
            session.run("RETRUN 1").consume()
            check("syntax error", False, "no error")
        except ClientError as error:
            check("syntax error", error.code == "Neo.ClientError.Statement.SyntaxError", error.code)
        check("after an error", session.run("RETURN 2 AS x").single()["x"] == 2)

    def create_visits(tx):
        tx.run("CREATE (:Visit {n: 1})").consume()
        tx.run("CREATE (:Visit {n: 2})").consume()
        return tx.run("MATCH (v:Visit) RETURN count(v) AS c").single()["c"]

    with driver.session() as session:
        check("transaction reads its writes", session.execute_write(create_visits) == 2)
        count = session.execute_read(lambda tx: tx.run("MATCH (v:Visit) RETURN count(v) AS c").single()["c"])
        check("committed", count == 2, count)
        with session.begin_transaction() as tx:
            tx.run("CREATE (:Visit {n: 3})").consume()
            tx.rollback()
        count = session.run("MATCH (v:Visit) RETURN count(v) AS c").single()["c"]
        check("rolled back", count == 2, count)

    records, _, _ = driver.execute_query("MATCH (p:Patient {id: $id}) RETURN p.name AS name", id="p1",
                                         routing_=neo4j.RoutingControl.READ)
    check("execute_query", records[0]["name"] == "Ann", records)

with GraphDatabase.driver(f"neo4j://{address}", auth=auth) as driver:
    driver.verify_connectivity()
    records, _, _ = driver.execute_query("MATCH (p:Patient) RETURN count(p) AS c", database_="neo4j")
    check("neo4j:// routing", records[0]["c"] == 1, records)

with GraphDatabase.driver(f"bolt://{address}", auth=auth) as driver:
    try:
        driver.execute_query("RETURN 1", database_="system")
        check("unknown database", False, "no error")
    except ClientError as error:
        check("unknown database", error.code == "Neo.ClientError.Database.DatabaseNotFound", error.code)

with GraphDatabase.driver(f"bolt://{address}", auth=neo4j.bearer_auth(os.environ["CAREGRAPH_TEST_TOKEN"])) as driver:
    records, _, _ = driver.execute_query("MATCH (p:Patient) RETURN count(p) AS c")
    check("bearer token", records[0]["c"] == 1, records)

for name, refused in [
    ("wrong password refused", (auth[0], auth[1] + "-wrong")),
    ("expired token refused", neo4j.bearer_auth(os.environ["CAREGRAPH_TEST_EXPIRED_TOKEN"])),
]:
    with GraphDatabase.driver(f"bolt://{address}", auth=refused) as driver:
        try:
            driver.verify_connectivity()
            check(name, False, "no error")
        except AuthError as error:
            check(name, error.code == "Neo.ClientError.Security.Unauthorized", error.code)

print("all checks passed")
