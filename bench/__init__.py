"""`make bench`: journeymart's load path measured against its peers on one landing zone.

`python -m bench.run --days 365 --customers 80000 --out bench-results` generates the zone,
runs every contender in its own subprocess (so peak RSS is per contender) and writes
results.json and results.md. See BENCHMARKS.md.
"""
