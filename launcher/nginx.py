"""nginx in front of the Rasa instances and the action servers, as a child process of the
launcher: its config is generated from ``nginx.conf.j2`` into a work directory and run with
``nginx -p <work dir> -c nginx.conf`` in the foreground, never as the system's service."""

import getpass
import os
from pathlib import Path

import jinja2

NGINX = "/usr/sbin/nginx"  # Debian's package (bin/setup-system)
TEMPLATE = Path(__file__).resolve().parent / "nginx.conf.j2"


def write_nginx_conf(
    work_dir: Path,
    rasa_port: int,
    actions_port: int,
    rasa_ports: list[int],
    action_ports: list[int],
    listen_host: str,
    action_timeout_s: int,
    api_port: int,
) -> Path:
    """The config for one run, with nginx's temporary files and logs under ``work_dir``."""
    for temp in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (work_dir / "nginx-tmp" / temp).mkdir(parents=True, exist_ok=True)
    conf = work_dir / "nginx.conf"
    conf.write_text(
        jinja2.Template(TEMPLATE.read_text(encoding="utf-8")).render(
            work_dir=work_dir,
            rasa_port=rasa_port,
            actions_port=actions_port,
            api_port=api_port,
            rasa_ports=rasa_ports,
            action_ports=action_ports,
            listen_host=listen_host,
            action_timeout=action_timeout_s,
            # Run as root (CI), nginx's workers would switch to "nobody", who cannot write the
            # temp files.
            user=getpass.getuser() if os.geteuid() == 0 else None,
        ),
        encoding="utf-8",
    )
    return conf
