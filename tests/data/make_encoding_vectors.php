<?php
// Regenerates encoding_vectors.json: PHP's own http_build_query() output for
// edge cases of the form encoding (run: php tests/data/make_encoding_vectors.php).
// JSON null/true/false map to PHP null/true/false, so the inputs carry them as is.
$cases = [
    "scalars" => ["action" => "learners", "options" => ["email" => "jane.doe+test@example.com"]],
    "booleans" => ["options" => ["t" => true, "f" => false]],
    "null_and_empty_dropped" => ["options" => ["n" => null, "e" => [], "s" => "", "keep" => "x"]],
    "numbers" => ["options" => ["i" => 40, "neg" => -3, "f" => 1.5, "whole" => 100.0, "zero" => 0]],
    "reserved_characters" => ["options" => ["q" => "a b&c=d/e?f#g~h*i'j(k)l!m%n+o"]],
    "unicode" => ["options" => ["name" => "Jürgen Ødegård 日本"]],
    "nested_lists" => ["options" => ["dates" => ["2017-07-25 00:00:00", "2017-07-25 23:59:59"]]],
    "email_keys" => ["options" => ["records" => ["john@example.com" => ["var_a", "var_b"], "o'neil@example.org" => ["x"]]]],
    "list_of_maps" => ["options" => ["learners" => [["email" => "a@example.com", "teams" => ["t1", "t2"]], ["email" => "b@example.com", "teams" => []]]]],
    "tilde_key" => ["options" => ["a~b" => "c"]],
];
$out = [];
foreach ($cases as $name => $data) {
    $out[] = ["name" => $name, "input" => $data, "expected" => http_build_query($data)];
}
echo json_encode($out, JSON_PRETTY_PRINT | JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES | JSON_PRESERVE_ZERO_FRACTION), "\n";
