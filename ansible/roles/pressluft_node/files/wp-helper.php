<?php
// Pressluft's offline WordPress helper. The pressluft_env module sends it one FastCGI request
// straight to the environment's PHP-FPM pool socket (never through nginx), so it runs as the
// site user under the pool's limits and leaves WordPress compiled in the pool's opcache.
//   params: PRESSLUFT_COMMAND = install | replace-url; body: the JSON request (it may carry the
//   admin password, so nothing secret is ever in a process argument).
// Answers 200 with one JSON line, or 500 with the reason as plain text.

if (PHP_SAPI !== 'fpm-fcgi' || !isset($_SERVER['PRESSLUFT_COMMAND'])) {
    http_response_code(404);
    exit;
}
set_time_limit(0);
ignore_user_abort(true);
ini_set('memory_limit', '512M');
header('Content-Type: text/plain; charset=utf-8');
$command = (string) $_SERVER['PRESSLUFT_COMMAND'];
$request = json_decode((string) file_get_contents('php://input'), true);

function pl_fail(string $message): void {
    http_response_code(500);
    echo $message, "\n";
    exit;
}

// A fatal error (e.g. a missing extension) would otherwise end the request with an empty 500.
register_shutdown_function(static function (): void {
    $error = error_get_last();
    if ($error !== null && in_array($error['type'], [E_ERROR, E_PARSE, E_CORE_ERROR, E_COMPILE_ERROR], true)) {
        http_response_code(500);
        echo "PHP fatal error: {$error['message']} in {$error['file']}:{$error['line']}\n";
    }
});

if (!is_array($request) || empty($request['path']) || empty($request['lock'])) {
    pl_fail('wp-helper: expected a JSON request with a path and a lock');
}
// Held until the request ends. The request goes on even when the module that sent it was
// killed; the module's next run waits on this lock before it touches the database again.
$pl_lock = fopen($request['lock'], 'c');
if ($pl_lock === false || !flock($pl_lock, LOCK_EX)) {
    pl_fail('wp-helper: cannot lock ' . $request['lock']);
}

function pl_load(string $path, string $url, bool $installing): void {
    $parts = parse_url($url);
    $_SERVER['HTTP_HOST'] = $parts['host'] . (isset($parts['port']) ? ':' . $parts['port'] : '');
    $_SERVER['SERVER_NAME'] = $parts['host'];
    $_SERVER['REQUEST_URI'] = '/';
    $_SERVER['SERVER_PORT'] = (string) ($parts['port'] ?? 80);
    $_SERVER['HTTPS'] = ($parts['scheme'] ?? 'http') === 'https' ? 'on' : '';
    if ($installing) {
        define('WP_INSTALLING', true);
    }
    // Loopback requests (cron, site health) would wait on the site itself mid-install.
    $GLOBALS['wp_filter']['pre_http_request'][10][] = [
        'function' => static fn() => new WP_Error('pressluft_offline', 'HTTP is disabled in the Pressluft helper'),
        'accepted_args' => 1,
    ];
    require_once rtrim($path, '/') . '/wp-load.php';
}

/** Replaces $from with $to inside a value, unserializing where needed so lengths stay right. */
function pl_replace($value, string $from, string $to) {
    if (is_string($value)) {
        if (strpos($value, $from) === false) {
            return $value;
        }
        if (is_serialized($value)) {
            $data = @unserialize($value, ['allowed_classes' => false]);
            if ($data !== false || $value === 'b:0;') {
                return serialize(pl_replace($data, $from, $to));
            }
        }
        return str_replace($from, $to, $value);
    }
    if (is_array($value)) {
        foreach ($value as $k => $v) {
            $value[$k] = pl_replace($v, $from, $to);
        }
        return $value;
    }
    if ($value instanceof stdClass) {
        foreach (get_object_vars($value) as $k => $v) {
            $value->$k = pl_replace($v, $from, $to);
        }
    }
    // Objects of unknown classes are kept as they are: rewriting them is not safe.
    return $value;
}

/** Serialized-safe search-replace of the URL variants over every table of the site. */
function pl_replace_url(string $old, string $new): int {
    global $wpdb;
    $pairs = [
        $old => $new,
        str_replace('/', '\\/', $old) => str_replace('/', '\\/', $new),
        preg_replace('#^https?:#', '', $old) => preg_replace('#^https?:#', '', $new),
    ];
    $updated = 0;
    $tables = $wpdb->get_col($wpdb->prepare('SHOW TABLES LIKE %s', $wpdb->esc_like($wpdb->prefix) . '%'));
    foreach ($tables as $table) {
        $columns = $wpdb->get_results("SHOW COLUMNS FROM `$table`", ARRAY_A);
        $keys = array_column(array_filter($columns, fn($c) => $c['Key'] === 'PRI'), 'Field');
        $texts = array_column(array_filter($columns, fn($c) => preg_match('/char|text|blob/i', $c['Type'])), 'Field');
        if (!$keys || !$texts) {
            continue;
        }
        foreach ($texts as $column) {
            foreach ($pairs as $from => $to) {
                $select = implode(', ', array_map(fn($k) => "`$k`", array_unique(array_merge($keys, [$column]))));
                $rows = $wpdb->get_results($wpdb->prepare(
                    "SELECT $select FROM `$table` WHERE `$column` LIKE %s", '%' . $wpdb->esc_like($from) . '%'
                ), ARRAY_A);
                foreach ($rows as $row) {
                    $replaced = pl_replace($row[$column], $from, $to);
                    if ($replaced !== $row[$column]) {
                        $where = array_intersect_key($row, array_flip($keys));
                        $wpdb->update($table, [$column => $replaced], $where);
                        $updated++;
                    }
                }
            }
        }
    }
    return $updated;
}

function pl_flush(): void {
    global $wpdb;
    $wpdb->query("DELETE FROM {$wpdb->options} WHERE option_name LIKE '\\_transient\\_%' OR option_name LIKE '\\_site\\_transient\\_%'");
    delete_option('rewrite_rules');
    wp_cache_flush();
}

switch ($command) {
    case 'install':
        pl_load($request['path'], $request['url'], true);
        if (!function_exists('wp_new_blog_notification')) {
            // Defined before upgrade.php so WordPress does not try to send mail.
            function wp_new_blog_notification($blog_title, $blog_url, $user_id, $password) {}
        }
        require_once ABSPATH . 'wp-admin/includes/upgrade.php';
        $result = wp_install($request['title'], $request['admin_user'], $request['admin_email'], true, '', wp_slash($request['admin_password']));
        if (is_wp_error($result) || empty($result['user_id'])) {
            pl_fail('wp_install failed: ' . (is_wp_error($result) ? $result->get_error_message() : 'no user created'));
        }
        update_option('siteurl', $request['url']);
        update_option('home', $request['url']);
        // The marker is written last: without it, the next run starts the install again.
        update_option('pressluft_env_id', $request['env_id'], true);
        echo json_encode(['installed' => true]), "\n";
        break;

    case 'replace-url':
        pl_load($request['path'], $request['old_url'], false);
        $updated = pl_replace_url($request['old_url'], $request['url']);
        update_option('siteurl', $request['url']);
        update_option('home', $request['url']);
        pl_flush();
        update_option('pressluft_env_id', $request['env_id'], true);
        echo json_encode(['updated' => $updated]), "\n";
        break;

    default:
        pl_fail("wp-helper: unknown command '$command'");
}
