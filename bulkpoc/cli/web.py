"""``bulkpoc serve``: the web UI and the JSON API."""

from __future__ import annotations

import click

from bulkpoc.cli.app import Context, cli, user_errors

# Commands import the library when they run: `bulkpoc --help` loads none of it (start-up).


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=8000,
    show_default=True,
    help="Port to listen on.",
)
@click.pass_obj
def serve(obj: Context, host: str, port: int) -> None:
    """Serve the web UI and the JSON API (/api/v1) until Ctrl-C or SIGTERM.

    On SQLite, uploaded batches also run in this process, one at a time; on PostgreSQL,
    `bulkpoc worker` runs them, and several servers may run behind a load balancer.
    """
    import uvicorn

    from bulkpoc.web.app import create_app

    with user_errors():
        app = create_app(obj.settings, obj.store())
    click.echo(f"Serving http://{host}:{port}/ on {obj.store().display_url}", err=True)
    # The app believes X-Forwarded-* from the trusted_proxies setting only (never by default).
    uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=False)
