"""A bare Textual hello-world: the floor gpurisk's start-up is compared with."""

from textual.app import App
from textual.widgets import Static


class Hello(App):
    def compose(self):  # type: ignore[no-untyped-def]
        yield Static("Hello DEMO H100")


if __name__ == "__main__":
    Hello().run()
