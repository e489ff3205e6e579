"""Commands about settings: config show, config path."""


import typer

from llmreads.app import Group, JsonOpt, app, state

config_app = typer.Typer(cls=Group, help="Show where the settings come from.", no_args_is_help=True)
app.add_typer(config_app, name="config")


@config_app.command("path")
def config_path_command() -> None:
    """Print the config file's path (it need not exist)."""
    from llmreads import render
    from llmreads.config import config_path

    render.path(config_path())


@config_app.command("show")
def config_show(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """Show the settings in effect and where each comes from."""
    from llmreads import render
    from llmreads.config import config_path

    st = state(ctx)
    settings: dict[str, dict[str, str | None]] = {
        "config": {"value": str(config_path()), "source": "exists" if config_path().exists() else "absent"},
        "db": {"value": str(st.db_path), "source": st.db.source},
        "user": {"value": st.user, "source": st.user_setting.source},
        "list": {"value": st.default_list, "source": st.list_setting.source},
    }
    if json_:
        render.emit_json(settings)
    else:
        render.settings(settings)
