"""A small FastAPI app whose SQLite database dbinit makes ready (see README.md)."""

import hashlib
import secrets
import sqlite3
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from pydantic import BaseModel

from dbinit.fastapi import health_router, ready_lifespan

# The schema files beside this file, whatever the working directory. The database:
# DBINIT_DATABASE_URL, else the Railway volume ($RAILWAY_VOLUME_MOUNT_PATH/app.db),
# else sqlite:///app.db. The app opens the one dbinit made ready: app.state.database_path.
SCHEMAS = Path(__file__).resolve().parent / "schemas"

app = FastAPI(lifespan=ready_lifespan(schema_dir=SCHEMAS))
app.include_router(health_router(schema_dir=SCHEMAS))


def connect(request: Request) -> sqlite3.Connection:
    conn = sqlite3.connect(request.app.state.database_path, timeout=10)
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


class NewUser(BaseModel):
    email: str
    password: str


def password_hash(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1)
    return f"scrypt${salt.hex()}${digest.hex()}"


@app.get("/")
def index() -> dict[str, str]:
    return {"app": "sqlite-railway example"}


@app.post("/users", status_code=201)
def create_user(user: NewUser, request: Request) -> dict[str, object]:
    conn = connect(request)
    try:
        with conn:
            cur = conn.execute(
                "INSERT INTO users (email, password_hash) VALUES (?, ?)",
                (user.email, password_hash(user.password)),
            )
    except sqlite3.IntegrityError:
        raise HTTPException(409, f"user {user.email} exists") from None
    finally:
        conn.close()
    return {"id": cur.lastrowid, "email": user.email}


@app.get("/users/{email}")
def read_user(email: str, request: Request) -> dict[str, object]:
    conn = connect(request)
    try:
        row = conn.execute(
            "SELECT id, email, created_at FROM users WHERE email = ?", (email,)
        ).fetchone()
    finally:
        conn.close()
    if row is None:
        raise HTTPException(404, f"no user {email}")
    return {"id": row[0], "email": row[1], "created_at": row[2]}
