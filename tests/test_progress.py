"""Progress of long work, in a log: lines with the count, the rate and the time left."""

import re

import real_layouts as layouts

from dal_tf.config import PrepareConfig
from dal_tf.datasets.preparation import prepare
from dal_tf.utils.progress import Progress, duration

LINE = re.compile(r"^(?P<unit>\w+) (?P<done>\d+)/(?P<total>\d+)(?P<values>( \w+=\S+)*) "
                  r"\((?P<rate>[\d,.]+ \w+s/s|[\d.]+ s/\w+), (?P<left>.+) left\)$")


def test_lines_count_up_with_values_and_end_with_nothing_left():
    lines = []
    progress = Progress(10, "step", lines.append, start=2, every_seconds=3600)
    progress.update(3)  # within the interval: no line
    progress.update(5, {"loss": 0.25}, force=True)
    progress.update(10)  # the end always shows
    assert len(lines) == 2
    first, last = (LINE.match(line) for line in lines)
    assert (first["unit"], first["done"], first["total"], first["values"]) == ("step", "5", "10", " loss=0.25")
    assert last["done"] == "10" and last["left"] == "0 s"


def test_durations_read_as_a_person_would():
    assert [duration(s) for s in (4.4, 75, 3725, float("inf"))] == ["4 s", "1 min 15 s", "1 h 2 min", "?"]


def test_prepare_reports_decoding_and_shard_writing(tmp_path):
    src = layouts.make_prid(str(tmp_path / "src"), {n: (30, 30) for n in range(1, 5)})
    lines = []
    prepare(PrepareConfig("prid", src, str(tmp_path / "out"), format="tfrecord"), log=lines.append)
    finals = [m for m in map(LINE.match, lines) if m and m["done"] == m["total"]]
    assert [(m["unit"], m["total"]) for m in finals] == [("frame", "240"), ("frame", "240")]  # decoded, then copied
