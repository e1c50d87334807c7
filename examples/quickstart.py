"""Quick start on the embedded default (the memory adapter): write records, query them."""

from datetime import UTC, datetime

from dataknobs_data import Filter, MemoryDatabase, Operator, Query, Record, SortOrder


def main() -> None:
    db = MemoryDatabase(indexes=["team.name"])
    db.create_batch([
        Record({"name": "Ada", "age": 36, "team": {"name": "core"},
                "joined": datetime(2020, 1, 6, tzinfo=UTC)}, metadata={"source": "hr"}),
        Record({"name": "Grace", "age": 45, "team": {"name": "core"}}),
        Record({"name": "Linus", "age": 29, "team": {"name": "infra"}}),
        Record({"name": "Barbara", "age": 52, "team": {"name": "research"}}),
    ])
    query = (Query().filter("age", Operator.GTE, 30)
             .or_(Filter("team.name", Operator.EQ, "core"),
                  Filter("team.name", Operator.EQ, "research"))
             .sort("age", SortOrder.DESC).select("name", "age", "team.name"))
    print(f"{'name':<10} {'age':>4}  team")
    for rec in db.search(query):
        print(f"{rec['name']:<10} {rec['age']:>4}  {rec.get_value('team.name')}")
    print(f"{db.count(query)} of {db.count()} records match")


if __name__ == "__main__":
    main()
