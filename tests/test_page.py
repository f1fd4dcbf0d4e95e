"""The self-contained page builder: payload escaping and base64 arrays, read back by real Chromium."""

import json

import numpy as np
import pytest

from explain_lib.report._page import encode_array, json_for_script, render_page, vendored_js

HOSTILE = ["</script><script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "a & b \u2028 \u2029",
           "\u05e9\u05dc\u05d5\u05dd \U0001f600"]

_READER = """
const data = JSON.parse(document.getElementById("payload").textContent);
function decode(a) {
  const bytes = Uint8Array.from(atob(a.b64), c => c.charCodeAt(0));
  return Array.from(new Float32Array(bytes.buffer));
}
const out = document.getElementById("out");
out.textContent = JSON.stringify({names: data.names, values: decode(data.values),
                                  echarts: typeof echarts});
"""


def test_payload_text_has_no_markup_characters():
    text = json_for_script({"names": HOSTILE})
    assert not set("<>&\u2028\u2029") & set(text)
    assert json.loads(text) == {"names": HOSTILE}


def test_json_refuses_nan():
    with pytest.raises(ValueError):
        json_for_script({"x": float("nan")})


def test_page_round_trips_strings_and_arrays_in_chromium(browser, tmp_path):
    values = np.array([0.5, -1.25, np.nan, 3e-8], dtype=np.float64)
    page_html = render_page(title=HOSTILE[0], payload={"names": HOSTILE, "values": encode_array(values)},
                            scripts=[vendored_js(), _READER], body='<pre id="out"></pre>')
    path = tmp_path / "page.html"
    path.write_text(page_html, encoding="utf-8")
    page = browser.new_page()
    dialogs, requests = [], []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("request", lambda request: requests.append(request.url))
    try:
        page.goto(path.as_uri())
        page.wait_for_function("document.getElementById('out').textContent.length > 0")
        shown = json.loads(page.text_content("#out"))
        assert page.title() == HOSTILE[0]
    finally:
        page.close()
    assert shown["names"] == HOSTILE
    assert shown["echarts"] == "object"
    decoded = np.array([np.nan if v is None else v for v in shown["values"]], dtype=np.float64)
    np.testing.assert_allclose(decoded, values.astype(np.float32), equal_nan=True)
    assert dialogs == []
    assert requests == [path.as_uri()]
