"""The HTML form reader behaves as a browser does (the round-trip tests rely on it)."""

from tests.webform import form_in

PAGE = """
<form id="a" method="post">
  <input name="x" value="1"><input type="checkbox" name="c" value="v">
  <input type="checkbox" name="d" checked>
  <select name="s"><option value="unknown">—</option><option value="true">Yes</option></select>
  <select name="k"><option value="a">A</option><option value="b" selected>B</option></select>
  <select name="m" multiple><option selected>A  b</option><option value="z" selected>Z</option>
  <option value="n">N</option></select>
  <textarea name="t">
hello &amp; bye</textarea>
  <button name="go" value="1">Go</button><input name="dis" disabled value="q">
  <fieldset disabled><input name="inside_disabled" value="q"></fieldset>
</form>
<input name="outside" form="a" value="o">
<form method="post" id="b"><input name="y"></form>
"""


def test_it_sends_what_a_browser_sends():
    form = form_in(PAGE, form_id="a")
    assert form.entries() == [
        ("x", "1"),
        ("d", "on"),
        ("s", "unknown"),  # no selected option: the first one is sent
        ("k", "b"),
        ("m", "A b"),
        ("m", "z"),
        ("t", "hello & bye"),  # one leading newline dropped, entities decoded
        ("outside", "o"),  # form="a" attribute outside the form
    ]


def test_it_sends_the_submitter_only_when_named():
    form = form_in(PAGE, form_id="a")
    assert "go" not in form.data()
    assert form.data("go")["go"] == "1"


def test_it_lists_every_choice_a_user_could_pick():
    choices = form_in(PAGE, form_id="a").choices()
    assert choices["s"] == ["unknown", "true"]
    assert choices["c"] == ["v"]
    assert choices["m"] == ["A b", "z", "n"]


def test_it_finds_a_form_by_a_control_name():
    assert form_in(PAGE, containing="y").id == "b"
