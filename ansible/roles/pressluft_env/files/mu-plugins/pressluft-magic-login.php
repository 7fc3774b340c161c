<?php
/**
 * Plugin Name: Pressluft one-time admin login
 * Description: Installed and owned by the platform (root); the site cannot change or remove it.
 *
 * Makes and redeems the one-time login links of Pressluft's "WP Admin" button.
 * - Make: the node agent sends a FastCGI request straight to this environment's PHP-FPM pool
 *   with the PRESSLUFT_MAGIC_LOGIN parameter. nginx never sets that parameter (it passes client
 *   headers only as HTTP_*), so no visitor can. The answer is one JSON line with the token.
 * - Redeem: GET /?pressluft_login=<token> through nginx. The token is single use, expires 60 s
 *   after it was made and works only in the environment that made it. A used, expired, unknown
 *   or malformed one gets the same plain 403 page and no cookie.
 * Only the token's sha256 is stored, in {prefix}pressluft_magic_login.
 */

if (!defined('ABSPATH')) {
    exit;
}

const PRESSLUFT_MAGIC_LOGIN_TTL = 60;

function pressluft_magic_login_table(): string {
    global $wpdb;
    return $wpdb->prefix . 'pressluft_magic_login';
}

/** This environment's id, the marker Pressluft writes last; a clone has its own. */
function pressluft_magic_login_env_id(): string {
    return (string) get_option('pressluft_env_id', '');
}

function pressluft_magic_login_fail(int $status, string $reason): void {
    http_response_code($status);
    header('Content-Type: text/plain; charset=utf-8');
    echo $reason, "\n";
    exit;
}

function pressluft_magic_login_create(): void {
    global $wpdb;
    header('Cache-Control: no-store');
    $env_id = pressluft_magic_login_env_id();
    if ($env_id === '' || !hash_equals($env_id, (string) ($_SERVER['PRESSLUFT_ENV_ID'] ?? ''))) {
        pressluft_magic_login_fail(500, 'this pool serves another environment (pressluft_env_id differs)');
    }
    $admins = get_users(['role' => 'administrator', 'orderby' => 'ID', 'order' => 'ASC', 'number' => 1, 'fields' => 'ID']);
    if (empty($admins)) {
        pressluft_magic_login_fail(500, 'this WordPress has no administrator account');
    }
    $table = pressluft_magic_login_table();
    $charset = $wpdb->get_charset_collate();
    $wpdb->suppress_errors(true);
    $created = $wpdb->query("CREATE TABLE IF NOT EXISTS `{$table}` (
        token_hash CHAR(64) NOT NULL PRIMARY KEY,
        env_id CHAR(36) NOT NULL,
        user_id BIGINT UNSIGNED NOT NULL,
        expires_at BIGINT NOT NULL
    ) {$charset}");
    if ($created === false) {
        pressluft_magic_login_fail(500, 'cannot create the token table: ' . $wpdb->last_error);
    }
    $now = time();
    // Expired rows, and rows a clone copied from its source's database, are of no use.
    $wpdb->query($wpdb->prepare("DELETE FROM `{$table}` WHERE expires_at <= %d OR env_id <> %s", $now, $env_id));
    $token = rtrim(strtr(base64_encode(random_bytes(32)), '+/', '-_'), '=');
    $expires = $now + PRESSLUFT_MAGIC_LOGIN_TTL;
    $inserted = $wpdb->insert($table, [
        'token_hash' => hash('sha256', $token),
        'env_id' => $env_id,
        'user_id' => (int) $admins[0],
        'expires_at' => $expires,
    ], ['%s', '%s', '%d', '%d']);
    if ($inserted !== 1) {
        pressluft_magic_login_fail(500, 'cannot store the token: ' . $wpdb->last_error);
    }
    header('Content-Type: application/json');
    echo wp_json_encode(['token' => $token, 'expires_at' => $expires]), "\n";
    exit;
}

/** The same answer for every refused token, so it does not tell which check failed. */
function pressluft_magic_login_refuse(): void {
    status_header(403);
    nocache_headers();
    header('Content-Type: text/html; charset=utf-8');
    echo "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>Login link not valid</title></head>",
        "<body><h1>This login link is not valid.</h1><p>Login links work once, for one minute. Ask Pressluft for a new one.</p></body></html>\n";
    exit;
}

function pressluft_magic_login_redeem(): void {
    global $wpdb;
    header('Referrer-Policy: no-referrer');
    $token = $_GET['pressluft_login'];
    if (!is_string($token) || !preg_match('/^[A-Za-z0-9_-]{43}$/', $token)) {
        pressluft_magic_login_refuse();
    }
    $env_id = pressluft_magic_login_env_id();
    $table = pressluft_magic_login_table();
    $hash = hash('sha256', $token);
    $now = time();
    $wpdb->suppress_errors(true);
    $user_id = $wpdb->get_var($wpdb->prepare("SELECT user_id FROM `{$table}` WHERE token_hash = %s AND env_id = %s AND expires_at > %d", $hash, $env_id, $now));
    // One statement decides: of two concurrent redemptions only one deletes the row.
    $deleted = $user_id === null ? 0 : $wpdb->query($wpdb->prepare("DELETE FROM `{$table}` WHERE token_hash = %s AND env_id = %s AND expires_at > %d", $hash, $env_id, $now));
    if ($deleted !== 1) {
        pressluft_magic_login_refuse();
    }
    $user = get_userdata((int) $user_id);
    if (!$user || !in_array('administrator', (array) $user->roles, true)) {
        pressluft_magic_login_refuse();
    }
    wp_set_current_user($user->ID);
    wp_set_auth_cookie($user->ID, false, is_ssl());
    do_action('wp_login', $user->user_login, $user);
    nocache_headers();
    wp_safe_redirect(admin_url());
    exit;
}

if (PHP_SAPI === 'fpm-fcgi' && isset($_SERVER['PRESSLUFT_MAGIC_LOGIN']) && $_SERVER['PRESSLUFT_MAGIC_LOGIN'] === 'create') {
    pressluft_magic_login_create();
} elseif (isset($_GET['pressluft_login'])) {
    // After all plugins, so the pluggable auth functions are the ones the site uses.
    add_action('plugins_loaded', 'pressluft_magic_login_redeem', PHP_INT_MIN);
}
