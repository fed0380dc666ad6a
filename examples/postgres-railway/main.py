"""A small FastAPI app whose PostgreSQL database dbinit makes ready (see README.md)."""

import hashlib
import secrets
from pathlib import Path

import psycopg
from fastapi import FastAPI, HTTPException, Request
from pydantic import BaseModel

from dbinit.fastapi import health_router, ready_lifespan

# The schema files beside this file, whatever the working directory. The database:
# DATABASE_URL (Railway sets it from the PostgreSQL service) or DBINIT_DATABASE_URL.
# The app connects to the one dbinit made ready: app.state.database_url.
SCHEMAS = Path(__file__).resolve().parent / "schemas"

app = FastAPI(lifespan=ready_lifespan(schema_dir=SCHEMAS))
app.include_router(health_router(schema_dir=SCHEMAS))


def connect(request: Request) -> psycopg.Connection:
    return psycopg.connect(request.app.state.database_url, connect_timeout=10)


class NewUser(BaseModel):
    email: str
    password: str


def password_hash(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1)
    return f"scrypt${salt.hex()}${digest.hex()}"


@app.get("/")
def index() -> dict[str, str]:
    return {"app": "postgres-railway example"}


@app.post("/users", status_code=201)
def create_user(user: NewUser, request: Request) -> dict[str, object]:
    try:
        with connect(request) as conn:  # commits on success
            row = conn.execute(
                "INSERT INTO users (email, password_hash) VALUES (%s, %s) RETURNING id",
                (user.email, password_hash(user.password)),
            ).fetchone()
    except psycopg.errors.UniqueViolation:
        raise HTTPException(409, f"user {user.email} exists") from None
    assert row is not None
    return {"id": row[0], "email": user.email}


@app.get("/users/{email}")
def read_user(email: str, request: Request) -> dict[str, object]:
    with connect(request) as conn:
        row = conn.execute(
            "SELECT id, email, created_at FROM users WHERE email = %s", (email,)
        ).fetchone()
    if row is None:
        raise HTTPException(404, f"no user {email}")
    return {"id": row[0], "email": row[1], "created_at": row[2].isoformat()}
