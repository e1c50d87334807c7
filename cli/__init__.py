"""The ``dataknobs-data`` command line (needs the ``cli`` extra: typer and rich).

``dataknobs_data.cli.main:main`` is the script's entry point; the Typer app and its
extension point (``register_commands``) live in ``dataknobs_data.cli.app``, imported lazily so
this package imports without typer."""
