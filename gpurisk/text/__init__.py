"""Text builders shared by the dashboard and the CLI (rich only, never Textual): number and
status formatting (:mod:`.format`) and the explain texts (:mod:`.explain`)."""
