"""Deployment files: docker-compose services, Dockerfile, .env.example, `check --deploy`."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENV_READERS = re.compile(
    r"""(?:os\.environ\.get|os\.getenv|env_bool|env_list)\(\s*["']([A-Z][A-Z0-9_]*)["']"""
    r"""|os\.environ\[\s*["']([A-Z][A-Z0-9_]*)["']\s*\]"""
)


def _scalar(text: str) -> Any:
    text = text.strip()
    if text.startswith("["):
        return json.loads(text)  # flow lists in our compose file use double quotes
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text


def load_simple_yaml(text: str) -> Any:
    """A tiny reader for the YAML subset docker-compose.yml uses (PyYAML is not installed):
    block mappings, block lists of scalars, quoted scalars and JSON-style flow lists."""
    lines = []
    for raw in text.splitlines():
        stripped = raw.split(" #", 1)[0].rstrip() if not raw.lstrip().startswith("#") else ""
        if stripped.strip():
            lines.append((len(stripped) - len(stripped.lstrip()), stripped.strip()))

    def block(index: int, indent: int) -> tuple[Any, int]:
        if lines[index][1].startswith("- "):
            items = []
            while (
                index < len(lines)
                and lines[index][0] == indent
                and lines[index][1].startswith("- ")
            ):
                items.append(_scalar(lines[index][1][2:]))
                index += 1
            return items, index
        mapping: dict[str, Any] = {}
        while index < len(lines) and lines[index][0] == indent:
            key, _sep, rest = lines[index][1].partition(":")
            index += 1
            if rest.strip():
                mapping[key.strip()] = _scalar(rest)
            elif index < len(lines) and lines[index][0] > indent:
                mapping[key.strip()], index = block(index, lines[index][0])
            else:
                mapping[key.strip()] = None
        return mapping, index

    return block(0, lines[0][0])[0]


def _load_compose() -> dict[str, Any]:
    text = (ROOT / "docker-compose.yml").read_text()
    try:
        import yaml  # type: ignore[import-untyped]
    except ImportError:
        return load_simple_yaml(text)
    return yaml.safe_load(text)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return _load_compose()


def _command(service: dict[str, Any]) -> str:
    command = service.get("command", "")
    return " ".join(command) if isinstance(command, list) else str(command)


def test_the_tiny_yaml_reader_reads_nested_maps_lists_and_flow_lists() -> None:
    parsed = load_simple_yaml(
        'a:\n  b: \'x\'\n  c:\n    - one\n    - "two"\n  d: ["CMD", "ping"]\n# note\ne: 3\n'
    )
    assert parsed == {"a": {"b": "x", "c": ["one", "two"], "d": ["CMD", "ping"]}, "e": "3"}


def test_compose_has_the_six_services(compose) -> None:
    services = compose["services"]
    assert set(services) == {"db", "redis", "migrate", "web", "worker", "beat"}
    assert services["db"]["image"] == "postgres:15"
    assert services["redis"]["image"].startswith("redis:7")
    assert "healthcheck" in services["db"]
    assert any(v.endswith(":/var/lib/postgresql/data") for v in services["db"]["volumes"])
    assert "pgdata" in compose["volumes"]


def test_web_runs_gunicorn_on_the_wsgi_app_and_is_built_from_the_dockerfile(compose) -> None:
    web = compose["services"]["web"]
    assert web["build"] == "."
    assert "gunicorn platinium.wsgi:application --bind 0.0.0.0:8000" in _command(web)
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "FROM python:3.11-slim" in dockerfile
    assert "libpango" in dockerfile
    assert "pip install -r requirements.txt" in dockerfile
    assert "collectstatic --noinput" in dockerfile
    assert (
        "whitenoise.middleware.WhiteNoiseMiddleware" in (ROOT / "platinium/settings.py").read_text()
    )


def _database_user(service: dict[str, Any]) -> str:
    url = service["environment"]["DATABASE_URL"]
    return re.match(r"postgres://([^:@]+)", url).group(1)


def test_migrations_run_as_the_owner_and_grant_the_app_role_its_rights(compose) -> None:
    """The owner (POSTGRES_USER) migrates in a one-shot service; nothing else uses it."""
    services = compose["services"]
    migrate = services["migrate"]
    assert _command(migrate) == "python manage.py migrate --noinput"
    assert _database_user(migrate) == "${POSTGRES_USER"
    assert migrate["environment"]["PLATINIUM_APP_DB_ROLE"] == "${POSTGRES_APP_USER:-platinium_app}"
    assert migrate["depends_on"]["db"]["condition"] == "service_healthy"
    assert services["web"]["depends_on"]["migrate"]["condition"] == (
        "service_completed_successfully"
    )
    for name, service in services.items():
        if name != "migrate":
            assert "manage.py migrate" not in _command(service), name


def test_web_worker_and_beat_connect_as_the_app_role(compose) -> None:
    for name in ("web", "worker", "beat"):
        service = compose["services"][name]
        assert _database_user(service) == "${POSTGRES_APP_USER", name
        assert "${POSTGRES_APP_PASSWORD}@db:5432/" in service["environment"]["DATABASE_URL"]


def test_the_db_service_creates_the_app_role_at_first_start(compose) -> None:
    db = compose["services"]["db"]
    assert db["environment"]["POSTGRES_APP_USER"] == "${POSTGRES_APP_USER:-platinium_app}"
    assert db["environment"]["POSTGRES_APP_PASSWORD"].startswith("${POSTGRES_APP_PASSWORD:?")
    mounts = [v for v in db["volumes"] if v.endswith(":/docker-entrypoint-initdb.d:ro")]
    assert len(mounts) == 1
    init_dir = ROOT / mounts[0].split(":", 1)[0]
    scripts = sorted(init_dir.glob("*.sql"))
    assert scripts, init_dir
    sql = "".join(path.read_text() for path in scripts)
    assert re.search(r"CREATE ROLE :\"app_user\" LOGIN", sql)
    assert "NOSUPERUSER" in sql and "NOBYPASSRLS" in sql
    assert 'REVOKE TEMPORARY ON DATABASE :"DBNAME" FROM PUBLIC' in sql
    assert "\\getenv app_password POSTGRES_APP_PASSWORD" in sql


@pytest.mark.django_db
def test_the_init_script_creates_a_login_role_that_is_not_a_superuser() -> None:
    """Run the real script with psql against the test server, then drop the role."""
    from django.db import connection

    settings = connection.settings_dict
    role = "deploy_init_probe_role"
    env = {
        **os.environ,
        "POSTGRES_APP_USER": role,
        "POSTGRES_APP_PASSWORD": "probe-secret",
        "PGHOST": settings.get("HOST") or settings.get("OPTIONS", {}).get("host", ""),
        "PGPORT": str(settings.get("PORT") or "5432"),
        "PGUSER": settings["USER"],
        "PGDATABASE": settings["NAME"],
    }
    script = ROOT / "deploy/postgres-init/10-app-role.sql"
    run = lambda *args: subprocess.run(  # noqa: E731
        ["psql", "-X", *args], env=env, capture_output=True, text=True, check=False, timeout=60
    )
    run("-c", f"DROP ROLE IF EXISTS {role}")
    try:
        result = run("-v", "ON_ERROR_STOP=1", "-f", str(script))
        assert result.returncode == 0, result.stderr
        check = run(
            "-tA", "-c", f"SELECT rolcanlogin, rolsuper FROM pg_roles WHERE rolname = '{role}'"
        )
        assert check.stdout.strip() == "t|f", check.stdout + check.stderr
    finally:
        run("-c", f"DROP ROLE IF EXISTS {role}")


def test_worker_and_beat_run_celery_on_the_platinium_app(compose) -> None:
    assert _command(compose["services"]["worker"]).startswith("celery -A platinium worker")
    assert _command(compose["services"]["beat"]).startswith("celery -A platinium beat")


def test_every_service_command_refers_to_something_in_the_repository(compose) -> None:
    for name, service in compose["services"].items():
        command = _command(service)
        for module, attribute in re.findall(r"\b([a-z_]+(?:\.[a-z_]+)+):([a-z_]+)\b", command):
            path = ROOT / (module.replace(".", "/") + ".py")
            assert path.exists(), (name, module)
            assert re.search(rf"^{attribute}\s*=", path.read_text(), re.M), (name, attribute)
        for app in re.findall(r"celery -A (\S+)", command):
            assert (ROOT / app / "celery.py").exists(), (name, app)
            assert "celery_app" in (ROOT / app / "__init__.py").read_text()
        if "manage.py" in command:
            assert (ROOT / "manage.py").exists()
        if "build" in service:
            assert (ROOT / service["build"] / "Dockerfile").exists()
        for env_file in [service["env_file"]] if isinstance(service.get("env_file"), str) else []:
            assert env_file == ".env" and (ROOT / ".env.example").exists()
    for requirement in ("gunicorn", "celery", "whitenoise", "redis"):
        assert re.search(rf"^{requirement}==", (ROOT / "requirements.txt").read_text(), re.M)


def test_every_variable_read_by_settings_is_documented_in_env_example() -> None:
    settings_text = (ROOT / "platinium/settings.py").read_text()
    read = {a or b for a, b in ENV_READERS.findall(settings_text)}
    assert {"DJANGO_SECRET_KEY", "DATABASE_URL", "PLATINIUM_REQUIRE_2FA"} <= read
    documented = set(
        re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", (ROOT / ".env.example").read_text(), re.M)
    )
    assert sorted(read - documented) == []


def test_every_env_example_variable_has_a_comment() -> None:
    previous = ""
    for line in (ROOT / ".env.example").read_text().splitlines():
        if re.match(r"^[A-Z][A-Z0-9_]*=", line):
            assert previous.startswith("#") or re.match(r"^[A-Z][A-Z0-9_]*=", previous), line
        previous = line


def _check_deploy(**overrides: str) -> subprocess.CompletedProcess[str]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PLATINIUM_"))},
        "DJANGO_SETTINGS_MODULE": "platinium.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "k7#Qw9!zR2$mX5^tB8&nV3*pL6(jH1)dF4_gS0+cY7-eU2=aI9~oP5",
        "DJANGO_ALLOWED_HOSTS": "edc.example.org",
        "DATABASE_URL": os.environ.get(
            "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/platinium"
        ),
        **overrides,
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_manage_py_check_deploy_is_clean_with_production_settings() -> None:
    result = _check_deploy()
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output, output
    assert "WARNING" not in output and "?: (" not in output, output


def test_negative_control_check_deploy_fails_without_hsts() -> None:
    result = _check_deploy(DJANGO_HSTS_SECONDS="0")
    assert result.returncode != 0
    assert "security.W004" in result.stdout + result.stderr
