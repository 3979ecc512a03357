"""Text from the data reaches Plotly figures escaped: Plotly reads labels as HTML."""

import json

import numpy as np
import plotly.graph_objects as go

from kam.charts import figure_json

LINK = '<a href="javascript:window.__xss=1">click</a>'


def test_every_text_a_trace_carries_is_escaped_and_numbers_are_left_alone():
    figure = go.Figure()
    figure.add_bar(
        x=np.array([1.5, 2.5]),
        y=[LINK, "Food & Beverage"],
        text=["<b>bold</b>", None],
        customdata=[["C1", "<img src=x onerror=alert(1)>"], ["C2", 3.0]],
        name="<i>segment</i>",
        orientation="h",
    )

    trace = json.loads(figure_json(figure))["data"][0]

    assert trace["y"] == [
        '&lt;a href="javascript:window.__xss=1"&gt;click&lt;/a&gt;',
        "Food &amp; Beverage",
    ]
    assert trace["text"] == ["&lt;b&gt;bold&lt;/b&gt;", None]
    assert trace["customdata"] == [["C1", "&lt;img src=x onerror=alert(1)&gt;"], ["C2", 3.0]]
    assert trace["name"] == "&lt;i&gt;segment&lt;/i&gt;"
    assert "<" not in json.dumps(trace)
    # The revenue array leaves exactly as Plotly itself sends it: numbers carry no text.
    assert trace["x"] == json.loads(figure.to_json())["data"][0]["x"]
    assert (
        trace["x"]
        == json.loads(go.Figure(go.Bar(x=np.array([1.5, 2.5]))).to_json())["data"][0]["x"]
    )


def test_an_array_of_names_is_escaped_like_a_list():
    figure = go.Figure(
        go.Scatter(x=[1, 2], y=[3, 4], text=np.array(["<b>A</b>", "B"], dtype=object))
    )

    assert json.loads(figure_json(figure))["data"][0]["text"] == ["&lt;b&gt;A&lt;/b&gt;", "B"]
