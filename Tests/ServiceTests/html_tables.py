"""Parses an HTML page with Python's HTML parser and prints its tables as JSON:
{"title": ..., "tables": {id: [[cell, ...], ...]}}. Used by the leaderboard tests to check
the page as a document, not as a string."""
import json
import sys
from html.parser import HTMLParser


class Tables(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tables, self.table, self.row, self.cell, self.title, self.in_title = {}, None, None, None, "", False
        self.open = []

    def handle_starttag(self, tag, attrs):
        if tag not in ("meta", "br", "img", "link", "input"):
            self.open.append(tag)
        if tag == "title" and "head" in self.open:  # the page's title, not an SVG element's
            self.in_title = True
        elif tag == "table":
            self.table = dict(attrs).get("id", str(len(self.tables)))
            self.tables[self.table] = []
        elif tag == "tr":
            self.row = []
        elif tag in ("td", "th"):
            self.cell = ""

    def handle_endtag(self, tag):
        if not self.open or self.open[-1] != tag:
            raise SystemExit(f"unbalanced </{tag}>, open: {self.open}")
        self.open.pop()
        if tag == "title":
            self.in_title = False
        elif tag in ("td", "th"):
            self.row.append(self.cell.strip())
            self.cell = None
        elif tag == "tr":
            self.tables[self.table].append(self.row)

    def handle_data(self, data):
        if self.in_title:
            self.title += data
        if self.cell is not None:
            self.cell += data


parser = Tables()
parser.feed(open(sys.argv[1], encoding="utf-8").read())
parser.close()
if parser.open:
    raise SystemExit(f"unclosed elements: {parser.open}")
print(json.dumps({"title": parser.title, "tables": parser.tables}))
