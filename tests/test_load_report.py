"""The load test's report (benchmarks/load.py): its arithmetic on made-up samples, no
timing of anything."""

from benchmarks._registry import percentile, percentiles
from benchmarks.load import Sample, bench_time, restart_lines, where_the_time_went


def sample(client: float, app: float | None, sql: float = 0.0, hashed: float = 0.0, **kw):
    return Sample(
        kind=kw.get("kind", "page"),
        client=client,
        app=app,
        sql=sql,
        queries=1,
        hash=hashed,
        server=kw.get("server", "A"),
        at=kw.get("at", 1.0),
    )


def test_percentiles_are_nearest_ranks_of_the_sorted_values():
    values = list(range(101, 0, -1))  # 1 to 101, unsorted
    assert percentiles(values, (50, 95, 99)) == (51, 96, 100)
    assert percentiles(values, (0, 100)) == (1, 101)
    assert percentiles([7.0], (50, 99)) == (7.0, 7.0)
    assert all(percentiles(values, (p,))[0] == percentile(values, p) for p in (50, 95, 99))


def test_the_servers_header_is_read_in_seconds():
    assert bench_time("app=12500;sql=2500;queries=9;hash=40000;server=B") == (
        0.0125,
        0.0025,
        9,
        0.04,
        "B",
    )
    assert bench_time(None) == (None, 0.0, 0, 0.0, "?")  # not answered by the app


def test_where_the_time_went_adds_the_parts_up_to_the_clients_time():
    lines = where_the_time_went(
        [
            sample(0.100, 0.080, sql=0.030, hashed=0.040),
            sample(0.300, 0.120, sql=0.020),
            sample(0.500, None),  # nginx's own answer: not counted
        ]
    )
    assert "0.2 s  50.0%" in lines[1]  # in the app: 0.2 of 0.4 s
    assert "12.5%" in lines[2]  # SQL 0.05
    assert "10.0%" in lines[3]  # the hash 0.04
    assert "27.5%" in lines[4]  # the rest of the app 0.11
    assert "50.0%" in lines[6]  # outside the app 0.2


def test_each_phase_of_the_restart_counts_the_answers_by_server():
    restart = {
        "drained_at": 8,
        "sent_at": 10,
        "stopped_at": 12,
        "start_at": 20,
        "serving_at": 25,
        "stop_seconds": 2,
    }
    samples = [
        sample(0.01, 0.01, server="A", at=5),
        sample(0.01, 0.01, server="B", at=6),
        sample(0.05, 0.01, server="B", at=9),  # B's last answers, after it left nginx
        sample(0.02, 0.01, server="B", at=11),
        sample(0.03, 0.01, server="A", at=15),
        sample(4.00, 0.01, server="B", at=24),  # waited for B's workers to boot
        sample(0.01, 0.01, server="B", at=30),
    ]
    rows = {line[2:30].strip(): line[30:].split() for line in restart_lines(samples, restart)[2:]}
    assert rows == {
        "before": ["1", "1", "10"],
        "B out of nginx, running": ["0", "1", "50"],
        "B stopping (SIGTERM sent)": ["0", "1", "20"],
        "B stopped": ["1", "0", "30"],
        "B starting": ["0", "1", "4000"],
        "B serving again": ["0", "1", "10"],
    }
