"""Pages as Dash serves them, read through its callback endpoint with a Flask test client:
the page callback's component tree, the app shell's links, and walks over the tree.

One home for every test that renders a page without a browser.
"""

from __future__ import annotations

# The app shell's callback outputs (dashboard/app.py), and the name Dash gives the callback.
SHELL_OUTPUTS = (("app-title", "children"), ("nav", "children"), ("lang-switch", "children"),
                 ("lang-switch", "href"), ("sample-banner", "children"), ("sample-banner", "hidden"),
                 ("footer", "children"))
SHELL = ".." + "...".join(f"{i}.{p}" for i, p in SHELL_OUTPUTS) + ".."


def render(client, pathname: str, search: str = ""):
    """The page's component tree as the app sends it to the browser."""
    deps = client.get("/_dash-dependencies").get_json()
    page = next(d for d in deps if "_pages_content" in d["output"])
    body = {"output": page["output"], "outputs": [{"id": "_pages_content", "property": "children"},
                                                  {"id": "_pages_store", "property": "data"}],
            "inputs": [{"id": "_pages_location", "property": "pathname", "value": pathname},
                       {"id": "_pages_location", "property": "search", "value": search}],
            "changedPropIds": ["_pages_location.pathname"], "state": []}
    answer = client.post("/_dash-update-component", json=body)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_json()["response"]["_pages_content"]["children"]


def nav(http, pathname: str, search: str) -> tuple[list[str], str]:
    """The shell's callback as the browser calls it: (nav hrefs, language switch href)."""
    body = {"output": SHELL,
            "outputs": [{"id": i, "property": p} for i, p in SHELL_OUTPUTS],
            "inputs": [{"id": "url", "property": "pathname", "value": pathname},
                       {"id": "url", "property": "search", "value": search}],
            "changedPropIds": ["url.search"]}
    answer = http.post("/_dash-update-component", json=body)
    assert answer.status_code == 200
    shell = answer.get_json()["response"]
    return [link["props"]["href"] for link in shell["nav"]["children"]], shell["lang-switch"]["href"]


def nodes(tree):
    """Every component of a serialised tree, depth first."""
    if isinstance(tree, list):
        for item in tree:
            yield from nodes(item)
    elif isinstance(tree, dict) and "props" in tree:
        yield tree
        yield from nodes(tree["props"].get("children"))


def text(tree, sep: str = " ") -> str:
    """The tree's visible text, its pieces joined by `sep`."""
    if isinstance(tree, (str, int, float)):
        return str(tree)
    if isinstance(tree, list):
        return sep.join(text(t, sep) for t in tree)
    if isinstance(tree, dict) and "props" in tree:
        return text(tree["props"].get("children"), sep)
    return ""


def by_id(tree, node_id):
    return next(n for n in nodes(tree) if n["props"].get("id") == node_id)
