<?php
// Runs pure functions of ansible/roles/pressluft_node/files/wp-helper.php in the PHP CLI (the
// helper itself only runs under PHP-FPM): their source is cut out of the file with PHP's own
// tokenizer and evaluated, beside WordPress core's real is_serialized().
//   php wp-helper-functions.php <wp-helper.php> <wp-includes/functions.php>
//   stdin: JSON list of requests; stdout: JSON list of answers.

function function_source(string $file, string $name): string {
    $tokens = token_get_all(file_get_contents($file));
    foreach ($tokens as $i => $token) {
        if ($token[0] !== T_FUNCTION) {
            continue;
        }
        $j = $i + 1;
        while (is_array($tokens[$j]) && $tokens[$j][0] === T_WHITESPACE) {
            $j++;
        }
        if (!is_array($tokens[$j]) || $tokens[$j][1] !== $name) {
            continue;
        }
        $source = '';
        $depth = 0;
        for ($k = $i; $k < count($tokens); $k++) {
            $text = is_array($tokens[$k]) ? $tokens[$k][1] : $tokens[$k];
            $source .= $text;
            if ($text === '{' || (is_array($tokens[$k]) && in_array($tokens[$k][0], [T_CURLY_OPEN, T_DOLLAR_OPEN_CURLY_BRACES], true))) {
                $depth++;
            } elseif ($text === '}') {
                $depth--;
                if ($depth === 0) {
                    return $source;
                }
            }
        }
    }
    fwrite(STDERR, "no function $name in $file\n");
    exit(2);
}

[, $helper, $wp_functions] = $argv;
eval(function_source($wp_functions, 'is_serialized'));
eval(function_source($helper, 'pl_replace'));

$answers = [];
foreach (json_decode(stream_get_contents(STDIN), true) as $request) {
    switch ($request['op']) {
        case 'serialize':  // JSON objects become stdClass objects when asked to
            $answers[] = serialize(json_decode($request['json'], !$request['objects']));
            break;
        case 'replace':
            $answers[] = pl_replace($request['value'], $request['from'], $request['to']);
            break;
        case 'unserialize':  // the value back as JSON, stdClass kept apart from arrays
            $value = @unserialize($request['value'], ['allowed_classes' => false]);
            $answers[] = ['ok' => $value !== false || $request['value'] === 'b:0;', 'json' => json_encode($value), 'object' => is_object($value)];
            break;
    }
}
echo json_encode($answers);
