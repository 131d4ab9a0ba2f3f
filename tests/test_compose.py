"""docker-compose.yml, Dockerfile and .env.example, checked by structure (no Docker engine here).

Compose files are YAML (anchors and `<<` merge keys included), so PyYAML reads what compose
reads; `interpolate` applies compose's `${VAR...}` rules with .env.example as the .env.
"""

from __future__ import annotations

import re
import tomllib
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import pytest
import yaml

from journeymart.config import REPO_ROOT

COMPOSE = REPO_ROOT / "docker-compose.yml"
ENV_EXAMPLE = REPO_ROOT / ".env.example"
DOCKERFILE = REPO_ROOT / "Dockerfile"

AIRFLOW_COMMANDS = {"api-server", "scheduler", "dag-processor", "triggerer", "celery worker"}
# Config sections that providers or plugins define (not in Airflow core's config.yml).
PROVIDER_SECTIONS = {"celery", "cosmos"}
SECRET_KEY = re.compile(r"pass(word|wd)?|secret|token|fernet|(^|_)key$|auth$", re.I)
INTERPOLATION = re.compile(r"\$\$|\$\{(?P<name>\w+)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}|\$(?P<bare>\w+)")
URL_PASSWORD = re.compile(r"://[^:/@\s]*:(?P<pw>[^@\s]*)@")
PASSWORD_FLAG = re.compile(r"--(?:[\w-]*pass(?:word)?|requirepass)[= ]+(?P<pw>\S+)")


def load_compose(text: str | None = None) -> dict[str, Any]:
    doc = yaml.safe_load(COMPOSE.read_text() if text is None else text)
    assert isinstance(doc, dict) and isinstance(doc.get("services"), dict), "not a compose file"
    return doc


def env_example() -> dict[str, str]:
    pairs = (ln.split("=", 1) for ln in ENV_EXAMPLE.read_text().splitlines()
             if ln.strip() and not ln.lstrip().startswith("#"))
    return {k.strip(): v.strip() for k, v in pairs}


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's interpolation: $$ escapes, ${V}, ${V:-d}, ${V-d}, ${V:?err}, ${V?err}, $V."""
    def sub(m: re.Match[str]) -> str:
        if m.group(0) == "$$":
            return "$"
        name = m.group("name") or m.group("bare")
        op, arg, val = m.group("op"), m.group("arg"), env.get(name)
        if op in (":-", "-") and (val is None or (op == ":-" and val == "")):
            return interpolate(arg, env)
        if op in (":?", "?") and (val is None or (op == ":?" and val == "")):
            raise KeyError(f"{name}: {arg}")
        return val or ""

    return INTERPOLATION.sub(sub, value)


def resolved(node: Any, env: dict[str, str]) -> Any:
    if isinstance(node, dict):
        return {k: resolved(v, env) for k, v in node.items()}
    if isinstance(node, list):
        return [resolved(v, env) for v in node]
    return interpolate(node, env) if isinstance(node, str) else node


def strings(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [s for v in node.values() for s in strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in strings(v)]
    return [node] if isinstance(node, str) else []


def only_interpolated(value: str) -> bool:
    """The value is one ${VAR} with no default: the credential lives in the env file only."""
    m = INTERPOLATION.fullmatch(value.strip())
    return bool(m and m.group("name") and m.group("op") in (None, ":?", "?"))


def credential_literals(node: Any, where: str = "") -> list[str]:
    """Places where a credential is written into the file instead of interpolated."""
    found: list[str] = []
    if isinstance(node, dict):
        for k, v in node.items():
            here = f"{where}.{k}"
            if isinstance(v, str | int) and SECRET_KEY.search(str(k)) and not only_interpolated(str(v)):
                found.append(f"{here}={v!r}")
            found += credential_literals(v, here)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            found += credential_literals(v, f"{where}[{i}]")
        # ["redis-server", "--requirepass", "secret"]: a flag and its value as two items
        for flag, v in zip(node, node[1:], strict=False):
            if isinstance(flag, str) and PASSWORD_FLAG.fullmatch(f"{flag} x") and not str(v).startswith("$"):
                found.append(f"{where}: {flag} {v!r}")
    elif isinstance(node, str):
        for m in [*URL_PASSWORD.finditer(node), *PASSWORD_FLAG.finditer(node)]:
            pw = m.group("pw").strip("'\"")
            if not pw.startswith("$"):
                found.append(f"{where}: {m.group(0)!r}")
    return found


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load_compose()


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


@pytest.fixture(scope="module")
def live(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The services as compose runs them after `cp .env.example .env`."""
    return resolved(compose, env_example())["services"]


def one_shot(services: dict[str, dict[str, Any]]) -> set[str]:
    return {name for name, s in services.items() if str(s.get("restart", "")) == "no"}


def by_command(services: dict[str, dict[str, Any]]) -> dict[str, str]:
    return {" ".join(s["command"]) if isinstance(s.get("command"), list) else s.get("command", ""): n
            for n, s in services.items()}


def test_the_stack_has_every_component(services, live) -> None:
    commands = by_command(services)
    assert set(commands) >= AIRFLOW_COMMANDS, set(commands)
    images = {n: s.get("image", "") for n, s in services.items() if "build" not in s}
    assert sum(i.startswith("postgres:") for i in images.values()) == 2, images  # metadata + warehouse
    assert any(i.startswith("redis:") for i in images.values()), images
    env = live[commands["scheduler"]]["environment"]
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == f"http://{commands['api-server']}:8080/execution/"
    init = one_shot(services)
    assert len(init) == 1, init
    script = " ".join(services[init.pop()]["command"])
    for step in ("airflow db migrate", "journeymart bootstrap", "airflow users create",
                 "airflow connections add journeymart_warehouse"):
        assert step in script, step


def test_every_service_has_an_image_or_build(services) -> None:
    for name, s in services.items():
        assert s.get("image") or s.get("build"), name
    built = {n for n, s in services.items() if "build" in s}
    assert built == {n for n, s in services.items() if s.get("user")}  # the Airflow services
    for n in built:
        assert services[n]["build"] in (".", {"context": "."}), n
    assert DOCKERFILE.exists()


def test_long_running_services_have_healthchecks(services) -> None:
    for name, s in services.items():
        if name in one_shot(services):
            assert "healthcheck" not in s and "ports" not in s, name
            continue
        test = (s.get("healthcheck") or {}).get("test")
        assert test and not (s["healthcheck"].get("disable")), f"{name}: no healthcheck"
        assert isinstance(test, str) or test[0] in ("CMD", "CMD-SHELL"), (name, test)


def test_dependencies_wait_on_health(services) -> None:
    init = one_shot(services)
    for name, s in services.items():
        deps = s.get("depends_on", {})
        assert isinstance(deps, dict), f"{name}: list-form depends_on starts without waiting"
        for dep, spec in deps.items():
            assert dep in services, (name, dep)
            want = "service_completed_successfully" if dep in init else "service_healthy"
            assert spec.get("condition") == want, (name, dep, spec)
            if want == "service_healthy":
                assert "healthcheck" in services[dep], (name, dep)
    # every Airflow component starts after the init and on a healthy metadata DB and broker
    for cmd in AIRFLOW_COMMANDS:
        deps = services[by_command(services)[cmd]]["depends_on"]
        assert init <= set(deps) and {"redis", "airflow-db"} <= set(deps), (cmd, deps)


def test_no_credential_literal_in_the_compose_file(compose) -> None:
    assert credential_literals(compose) == []


@pytest.mark.parametrize("bad", [
    "services: {db: {image: postgres, environment: {POSTGRES_PASSWORD: airflow}}}",
    "services: {db: {image: postgres, environment: {POSTGRES_PASSWORD: '${PW:-airflow}'}}}",
    "services: {a: {image: x, environment: {CONN: 'postgresql://u:hunter2@db/x'}}}",
    "services: {r: {image: redis, command: [redis-server, --requirepass, hunter2]}}",
    "services: {a: {image: x, command: 'airflow users create --password hunter2'}}",
    "services: {a: {image: x, environment: [AIRFLOW__CORE__FERNET_KEY=abc]}}",
])
def test_the_credential_scan_catches_literals(bad: str) -> None:
    node = load_compose(bad)
    if isinstance(env := node["services"].get("a", {}).get("environment"), list):
        node["services"]["a"]["environment"] = dict(e.split("=", 1) for e in env)
    assert credential_literals(node), bad


def test_the_env_file_defines_and_documents_every_variable(compose) -> None:
    text = "\n".join(strings(compose))  # comments are not interpolated
    env, example = env_example(), ENV_EXAMPLE.read_text()
    referenced = {m.group("name") or m.group("bare") for m in INTERPOLATION.finditer(text)
                  if m.group(0) != "$$"}
    required = {m.group("name") for m in INTERPOLATION.finditer(text)
                if m.group("op") in (":?", "?") or (m.group("name") and not m.group("op"))}
    assert required and all(env.get(v) for v in required), required - set(env)
    # optional ones are at least documented (possibly commented out) in the example
    assert all(re.search(rf"^#? ?{v}=", example, re.M) for v in referenced), \
        [v for v in referenced if not re.search(rf"^#? ?{v}=", example, re.M)]
    for paragraph in example.split("\n\n"):
        if re.search(r"^\w+=", paragraph, re.M):
            assert re.search(r"^#", paragraph, re.M), f"undocumented: {paragraph!r}"
    resolved(compose, env)  # raises KeyError on a ${VAR:?} the example leaves unset
    ignored = {ln.strip() for ln in (REPO_ROOT / ".gitignore").read_text().splitlines()}
    assert ".env" in ignored or "/.env" in ignored, ".env (real credentials) must be git-ignored"


def test_services_agree_on_hosts_and_credentials(services, live) -> None:
    env = live[by_command(services)["scheduler"]]["environment"]
    meta, warehouse = live["airflow-db"]["environment"], live["warehouse-db"]["environment"]
    userinfo = f"{meta['POSTGRES_USER']}:{meta['POSTGRES_PASSWORD']}@airflow-db:5432/{meta['POSTGRES_DB']}"
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] == f"postgresql+psycopg2://{userinfo}"
    assert env["AIRFLOW__CELERY__RESULT_BACKEND"] == f"db+postgresql://{userinfo}"
    redis_pw = live["redis"]["command"][live["redis"]["command"].index("--requirepass") + 1]
    assert env["AIRFLOW__CELERY__BROKER_URL"] == f"redis://:{redis_pw}@redis:6379/0"
    assert (env["JOURNEYMART_PG_HOST"], env["JOURNEYMART_PG_PORT"]) == ("warehouse-db", "5432")
    assert (env["JOURNEYMART_PG_USER"], env["JOURNEYMART_PG_PASSWORD"], env["JOURNEYMART_PG_DBNAME"]) == \
        (warehouse["POSTGRES_USER"], warehouse["POSTGRES_PASSWORD"], warehouse["POSTGRES_DB"])
    assert env["JOURNEYMART_TARGET"] == env["DBT_TARGET"] == env["JOURNEYMART_DBT_TARGET"] == "duckdb"
    # a task that cannot read the key fails rather than hashing with the public dev key
    assert env["JOURNEYMART_PII_KEY_REQUIRED"] == "true"
    # components that sign or decrypt for each other share one key
    airflow = [live[by_command(services)[c]]["environment"] for c in AIRFLOW_COMMANDS]
    for key in ("AIRFLOW__CORE__FERNET_KEY", "AIRFLOW__API_AUTH__JWT_SECRET",
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "JOURNEYMART_PII_KEY"):
        assert len({e[key] for e in airflow}) == 1 and airflow[0][key], key


def test_environment_names_are_ones_the_project_and_airflow_read(services) -> None:
    env = services[by_command(services)["scheduler"]]["environment"]
    code = "\n".join(p.read_text() for d in ("src", "dags", "dbt_project") for p in (REPO_ROOT / d).rglob("*")
                     if p.suffix in {".py", ".yml", ".sql"})
    for name in env:
        if name.startswith(("JOURNEYMART_", "DBT_")):
            assert name in code, f"{name}: nothing in src/, dags/ or dbt_project/ reads it"
    # Airflow's own option list, read without importing airflow (a ~5 s import)
    spec = find_spec("airflow")
    assert spec and spec.submodule_search_locations
    airflow_pkg = Path(next(iter(spec.submodule_search_locations)))
    config = yaml.safe_load((airflow_pkg / "config_templates" / "config.yml").read_text())
    for name in (n for n in env if n.startswith("AIRFLOW__")):
        section, key = name.removeprefix("AIRFLOW__").lower().split("__", 1)
        if section not in PROVIDER_SECTIONS:
            assert key in config.get(section, {}).get("options", {}), f"{name}: no such Airflow setting"


def test_volumes_are_named_and_the_project_is_mounted(compose, services, live) -> None:
    named = set(compose.get("volumes") or {})

    def mounts(name: str) -> dict[str, str]:
        return {v.split(":")[1]: v.split(":")[0] for v in services[name].get("volumes", [])}

    for db in ("airflow-db", "warehouse-db"):
        assert mounts(db).get("/var/lib/postgresql/data") in named, db
    env = live[by_command(services)["scheduler"]]["environment"]
    for cmd in AIRFLOW_COMMANDS:
        m = mounts(by_command(services)[cmd])
        assert m.get("/opt/airflow/logs") in named, cmd
        assert m.get(env["JOURNEYMART_HOME"]) in named, cmd  # warehouse, landing, manifest
        project = [target for target, src in m.items() if src in (".", "./")]
        assert project and env["AIRFLOW__CORE__DAGS_FOLDER"] == f"{project[0]}/dags", cmd


def test_dockerfile_builds_on_the_locked_airflow() -> None:
    text = DOCKERFILE.read_text()
    lock = tomllib.loads((REPO_ROOT / "uv.lock").read_text())
    pinned = next(p["version"] for p in lock["package"] if p["name"] == "apache-airflow")
    arg = re.search(r"^ARG AIRFLOW_VERSION=(\S+)$", text, re.M)
    assert arg and arg.group(1) == pinned and pinned.startswith("3.3."), (arg, pinned)
    assert re.search(r"^FROM apache/airflow:\$\{AIRFLOW_VERSION\}-python3\.11$", text, re.M)
    assert "uv export --frozen" in text and "--no-dev" in text
    assert (REPO_ROOT / ".dockerignore").read_text().count(".env") >= 1
