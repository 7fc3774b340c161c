# MariaDB as root over the unix socket (no PyMySQL on a fresh node). SQL, and so every
# password, travels on the client's stdin, never in its arguments.
from __future__ import annotations

import subprocess

from ansible.module_utils.pressluft_system import PressluftError, run

CLIENT = ['mariadb', '--batch', '--skip-column-names', '--default-character-set=utf8mb4']


def literal(value):
    """A single-quoted SQL string literal."""
    return "'" + value.replace('\\', '\\\\').replace("'", "\\'").replace('\0', '\\0') + "'"


def ident(name):
    """A backquoted identifier (names here are pl_<hex>, but quote anyway)."""
    return '`' + name.replace('`', '``') + '`'


def grant_pattern(name):
    """A database name as a GRANT pattern: `_` and `%` are wildcards there."""
    return ident(name.replace('\\', '\\\\').replace('_', '\\_').replace('%', '\\%'))


def query(sql, database=None):
    """Runs SQL as root; returns the rows as lists of strings."""
    argv = CLIENT + ([database] if database else [])
    out = run(argv, input_text=sql).stdout
    return [line.split('\t') for line in out.splitlines() if line != '']


def ensure_database(database, user, password):
    """Creates the database and its user, (re)sets the password only when it does not match,
    and grants the user its database. Returns (anything changed, the database was created)."""
    db_lit, user_lit, pw_lit = literal(database), literal(user), literal(password)
    rows = query(
        'SELECT (SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s),'
        ' (SELECT COUNT(*) FROM mysql.user WHERE User = %s AND Host = \'localhost\'),'
        ' (SELECT COUNT(*) FROM mysql.user WHERE User = %s AND Host = \'localhost\' AND authentication_string = PASSWORD(%s)),'
        ' (SELECT COUNT(*) FROM mysql.db WHERE User = %s AND Host = \'localhost\' AND Db = %s);'
        % (db_lit, user_lit, user_lit, pw_lit, user_lit, literal(database.replace('_', '\\_')))
    )
    has_db, has_user, pw_ok, has_grant = (int(x) for x in rows[0])
    statements = []
    if not has_db:
        statements.append('CREATE DATABASE %s CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;' % ident(database))
    if not has_user:
        statements.append("CREATE USER %s@'localhost' IDENTIFIED BY %s;" % (user_lit, pw_lit))
    elif not pw_ok:
        statements.append("ALTER USER %s@'localhost' IDENTIFIED BY %s;" % (user_lit, pw_lit))
    if not has_grant:
        statements.append("GRANT ALL PRIVILEGES ON %s.* TO %s@'localhost';" % (grant_pattern(database), user_lit))
    if statements:
        query('\n'.join(statements))
    return bool(statements), not has_db


def recreate_database(database):
    """Empties a database by dropping and recreating it (its grants survive)."""
    query('DROP DATABASE IF EXISTS %s; CREATE DATABASE %s CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;'
          % (ident(database), ident(database)))


def drop_database_and_user(database, user):
    """Drops both; returns True if either existed."""
    rows = query(
        'SELECT (SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s),'
        " (SELECT COUNT(*) FROM mysql.user WHERE User = %s AND Host = 'localhost');" % (literal(database), literal(user))
    )
    existed = any(int(x) for x in rows[0])
    query("DROP DATABASE IF EXISTS %s; DROP USER IF EXISTS %s@'localhost';" % (ident(database), literal(user)))
    # A grant row can outlive its user when a run was interrupted between statements.
    query("DELETE FROM mysql.db WHERE User = %s AND Host = 'localhost'; FLUSH PRIVILEGES;" % literal(user))
    return existed


def options(database, names):
    """Reads wp_options values; returns {} when WordPress's tables do not exist (one client
    run: a missing table is ERROR 1146, a missing database 1049)."""
    in_list = ', '.join(literal(n) for n in names)
    proc = run(CLIENT + [database], input_text='SELECT option_name, option_value FROM wp_options WHERE option_name IN (%s);' % in_list,
               check=False)
    if proc.returncode != 0:
        if 'ERROR 1146' in proc.stderr or 'ERROR 1049' in proc.stderr:
            return {}
        raise PressluftError('reading the WordPress options of %s failed: %s' % (database, proc.stderr.strip()[-500:]))
    rows = [line.split('\t') for line in proc.stdout.splitlines() if line != '']
    return {r[0]: (r[1] if len(r) > 1 else '') for r in rows}


def copy_database(source, target):
    """Copies a database into an (empty) other one with a dump piped into the client."""
    dump = subprocess.Popen(
        ['mariadb-dump', '--single-transaction', '--quick', '--skip-lock-tables', '--routines', '--default-character-set=utf8mb4', source],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    load = subprocess.run(CLIENT + [target], stdin=dump.stdout, capture_output=True, text=True)
    dump.stdout.close()
    dump_err = dump.stderr.read().decode('utf-8', 'replace')
    dump.wait()
    if dump.returncode != 0:
        raise PressluftError('mariadb-dump of the source database failed: %s' % dump_err.strip()[-500:])
    if load.returncode != 0:
        raise PressluftError('loading the copied database failed: %s' % load.stderr.strip()[-500:])
