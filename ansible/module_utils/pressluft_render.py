# The per-environment config files: PHP-FPM pool, nginx server block and wp-config.php.
# Rendered here (not with template tasks) because one module run writes them all.
from __future__ import annotations

import os
import re
import secrets
import string

from ansible.module_utils.pressluft_system import HELPER_PATH, read_regular_file

SALT_KEYS = ('AUTH_KEY', 'SECURE_AUTH_KEY', 'LOGGED_IN_KEY', 'NONCE_KEY',
             'AUTH_SALT', 'SECURE_AUTH_SALT', 'LOGGED_IN_SALT', 'NONCE_SALT')
# No quote or backslash: salts are embedded in single-quoted PHP strings.
SALT_ALPHABET = string.ascii_letters + string.digits + '!#$%&()*+,-./:;<=>?@[]^_{|}~'


def pool_conf(names, env_id):
    # The helper file itself is allowed too: the pressluft_env module runs it in the pool.
    root = names['root']
    return '''; Managed by Pressluft: environment {env_id}. Changes are overwritten.
[{pool}]
user = {user}
group = {user}
listen = /run/php/{pool}.sock
listen.owner = www-data
listen.group = www-data
listen.mode = 0660
pm = ondemand
pm.max_children = 5
pm.process_idle_timeout = 60s
pm.max_requests = 500
chdir = /
catch_workers_output = yes
php_admin_value[open_basedir] = {root}/:{helper}
php_admin_value[upload_tmp_dir] = {root}/tmp
php_admin_value[sys_temp_dir] = {root}/tmp
php_admin_value[session.save_path] = {root}/tmp
php_admin_value[error_log] = {root}/logs/php-error.log
php_admin_flag[log_errors] = on
php_admin_flag[display_errors] = off
php_admin_flag[allow_url_include] = off
php_admin_value[disable_functions] = exec,passthru,shell_exec,system,proc_open,popen,pcntl_exec,dl
'''.format(env_id=env_id, pool=names['pool'], user=names['user'], root=root, helper=HELPER_PATH)


def vhost_conf(names, env_id, host, port, ipv6):
    listen = '    listen %d;\n' % port + ('    listen [::]:%d;\n' % port if ipv6 else '')
    # Debian's fastcgi_params passes HTTP_HOST without the port; WordPress would then
    # redirect to itself forever on a non-default port.
    http_host = '' if port == 80 else '        fastcgi_param HTTP_HOST $host:$server_port;\n'
    return '''# Managed by Pressluft: environment {env_id}. Changes are overwritten.
server {{
{listen}    server_name {host};
    root {root}/current;
    index index.php;
    client_max_body_size 64m;

    include /etc/nginx/snippets/pressluft-security-headers.conf;
    add_header X-Pressluft-Environment "{env_id}" always;

    location = /favicon.ico {{ log_not_found off; access_log off; }}
    location = /robots.txt {{ try_files $uri /index.php?$args; log_not_found off; access_log off; }}
    location ~ /\\.(?!well-known) {{ deny all; }}
    location ~* ^/wp-content/uploads/.*\\.php$ {{ deny all; }}
    location ~* ^/wp-config\\.php$ {{ deny all; }}

    location / {{
        try_files $uri $uri/ /index.php?$args;
    }}

    location ~ \\.php$ {{
        try_files $uri =404;
        include fastcgi_params;
        fastcgi_param SCRIPT_FILENAME $realpath_root$fastcgi_script_name;
        fastcgi_param DOCUMENT_ROOT $realpath_root;
{http_host}        fastcgi_pass unix:/run/php/{pool}.sock;
        fastcgi_read_timeout 120s;
    }}
}}
'''.format(env_id=env_id, listen=listen, host=host, root=names['root'], pool=names['pool'], http_host=http_host)


def existing_salts(path):
    """The salts of an existing wp-config.php, so a re-run never logs everyone out."""
    try:
        text = read_regular_file(path)[1].decode('utf-8', 'replace')
    except OSError:  # missing, or not a file root may read (a link planted by the tenant)
        return {}
    found = dict(re.findall(r"define\(\s*'(%s)'\s*,\s*'([^'\\]*)'\s*\);" % '|'.join(SALT_KEYS), text))
    return found if len(found) == len(SALT_KEYS) else {}


def new_salts():
    return {k: ''.join(secrets.choice(SALT_ALPHABET) for _ in range(64)) for k in SALT_KEYS}


def php_string(value):
    return "'" + value.replace('\\', '\\\\').replace("'", "\\'") + "'"


def wp_config(names, db_password, salts):
    lines = [
        '<?php',
        '// Managed by Pressluft. Secrets: mode 0600, owned by the site user.',
        "define('DB_NAME', %s);" % php_string(names['database']),
        "define('DB_USER', %s);" % php_string(names['database']),
        "define('DB_PASSWORD', %s);" % php_string(db_password),
        "define('DB_HOST', 'localhost');",
        "define('DB_CHARSET', 'utf8mb4');",
        "define('DB_COLLATE', '');",
    ]
    lines += ["define('%s', '%s');" % (k, salts[k]) for k in SALT_KEYS]
    lines += [
        "$table_prefix = 'wp_';",
        "define('WP_DEBUG', false);",
        "define('DISALLOW_FILE_EDIT', true);",
        "define('FS_METHOD', 'direct');",
        "define('WP_TEMP_DIR', %s);" % php_string(os.path.join(names['root'], 'tmp')),
        "if (!defined('ABSPATH')) {",
        "    define('ABSPATH', %s);" % php_string(os.path.join(names['root'], 'current') + '/'),
        '}',
        "require_once ABSPATH . 'wp-settings.php';",
        '',
    ]
    return '\n'.join(lines)
