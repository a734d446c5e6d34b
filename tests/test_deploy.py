"""The reference deployment (deploy/) says what the product does: every variable of its environment file is
one the settings read and the operations guide describes, every systemd unit starts a command that exists,
and nginx accepts its configuration."""

import configparser
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"


def _environment_file() -> dict[str, str]:
    pairs = {}
    for line in (DEPLOY / "musanada.env.example").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _equals, value = line.partition("=")
            pairs[name] = value
    return pairs


def test_every_variable_of_the_environment_file_is_read_by_the_settings_and_documented():
    settings_code = (ROOT / "musanada" / "config" / "settings.py").read_text()
    read = set(re.findall(r'env_(?:str|int|bool|list)\("([A-Z_]+)"', settings_code))
    documented = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", (ROOT / "docs" / "operations.md").read_text()))
    variables = set(_environment_file())
    assert variables, "the environment file holds no variable"
    assert variables - read == set(), "variables the settings never read"
    assert variables - documented == set(), "variables docs/operations.md does not describe"


def _units() -> dict[str, configparser.ConfigParser]:
    units = {}
    for path in sorted((DEPLOY / "systemd").iterdir()):
        unit = configparser.ConfigParser(interpolation=None, strict=True)
        unit.optionxform = str  # systemd's keys are case-sensitive
        unit.read(path)
        units[path.name] = unit
    return units


def test_every_service_starts_a_command_the_product_has_with_its_environment():
    services = {name: unit for name, unit in _units().items() if name.endswith(".service")}
    assert {"musanada-web.service", "musanada-worker.service", "musanada-beat.service"} <= set(services)
    commands = get_commands()
    for name, unit in services.items():
        service = unit["Service"]
        assert service["EnvironmentFile"] == "/etc/musanada/musanada.env", name
        assert service["User"] == "musanada", name
        program, *arguments = shlex.split(service["ExecStart"])
        if program.endswith("/musanada"):
            assert arguments[0] in commands, f"{name}: no command {arguments[0]}"
        else:
            assert program.endswith("/celery") and arguments[:2] == ["-A", "musanada.jobs.celery"], name
            assert arguments[2] in ("worker", "beat"), name
    # The nightly backup has its timer; exactly one scheduler is described.
    assert "musanada-backup.timer" in _units()
    assert [name for name in services if "beat" in services[name]["Service"]["ExecStart"]] == [
        "musanada-beat.service"
    ]


@pytest.fixture
def nginx_test_config(tmp_path):
    """The site's configuration in a minimal nginx.conf, with a certificate made for the test."""
    nginx, openssl = shutil.which("nginx") or "/usr/sbin/nginx", shutil.which("openssl")
    if not Path(nginx).exists() or openssl is None:
        if os.environ.get("CI") == "true":
            pytest.fail("nginx and openssl are required in CI to check deploy/nginx")
        pytest.skip("nginx is not installed: apt-get install nginx")
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=musanada.test",
            "-keyout",
            str(tmp_path / "privkey.pem"),
            "-out",
            str(tmp_path / "fullchain.pem"),
        ],
        check=True,
        capture_output=True,
    )
    site = (DEPLOY / "nginx" / "musanada.conf").read_text()
    site = site.replace("/etc/ssl/musanada/", f"{tmp_path}/").replace(
        "/etc/nginx/musanada_proxy.conf", str(DEPLOY / "nginx" / "musanada_proxy.conf")
    )
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n  access_log off;\n  include {tmp_path}/site.conf;\n}}\n"
    )
    return nginx, tmp_path / "nginx.conf"


def test_nginx_accepts_the_configuration_of_the_web_nodes(nginx_test_config):
    nginx, config = nginx_test_config
    checked = subprocess.run([nginx, "-t", "-c", str(config)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    assert "test is successful" in checked.stderr
