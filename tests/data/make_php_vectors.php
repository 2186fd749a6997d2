<?php
/*
 * Wire vectors for tests/actions/test_wire_vectors.py, made by PHP itself.
 *
 * Each vector is one of the API documentation's PHP sample requests (Guzzle
 * `form_params`, which Guzzle encodes with http_build_query), with the
 * documentation's obfuscated emails replaced by real-looking ones. `local` holds
 * tool-only arguments (confirm, max_items) that must never reach the wire.
 *
 * Re-run after changing a vector:
 *     php tests/data/make_php_vectors.php > tests/data/php_vectors.json
 */

$vectors = [
    // The introduction's example: learners registered between two dates.
    ['tool' => 'learners', 'local' => ['max_items' => 50],
     'form_params' => ['action' => 'learners', 'options' => [
         'dates' => ['2017-07-25 00:00:00', '2017-07-25 23:59:59'],
     ]]],
    ['tool' => 'courses',
     'form_params' => ['action' => 'courses']],
    ['tool' => 'check_learner_invite',
     'form_params' => ['action' => 'checkLearnerInvite', 'options' => [
         'emails' => ['john.smith@example.com', 'maria.garcia@example.org', 'li.wei+test@example.net'],
     ]]],
    ['tool' => 'academies',
     'form_params' => ['action' => 'academies']],
    ['tool' => 'create_login_token',
     'form_params' => ['action' => 'createLoginToken', 'options' => [
         'academy_id' => 'zyK0bxgWEY9E4XA6JedG',
         'email' => 'john.smith@example.com',
     ]]],
    ['tool' => 'set_lesson_variables',
     'form_params' => ['action' => 'setLessonVariables', 'options' => [
         'academy_id' => 'zyK0bxgWEY9E4XA6JedG',
         'records' => [
             'john.smith@example.com' => [
                 [
                     'key' => 'some_lesson_variable',
                     'value' => 'Example',
                     'type' => 0,
                     'default_value' => 'Some Default Value For Variable',
                 ],
             ],
         ],
     ]]],
    ['tool' => 'get_learner_variable',
     'form_params' => ['action' => 'getLearnerVariable', 'options' => [
         'records' => [
             'john.smith@example.com' => ['var_name_1', 'var_name_4'],
             'maria.garcia@example.org' => ['var_name_2', 'var_name_10'],
         ],
     ]]],
    // The sample writes `'records' => course`, a bare constant (an Error in PHP 8);
    // the string 'course' is what it means.
    ['tool' => 'get_teams',
     'form_params' => ['action' => 'getTeams', 'options' => [
         'records' => 'course',
     ]]],
    ['tool' => 'add_learners_to_teams',
     'form_params' => ['action' => 'addLearnersToTeams', 'options' => [
         'teams' => ['teamID_1', 'teamID_42'],
         'learners' => ['john.smith@example.com', 'maria.garcia@example.org', 'li.wei+test@example.net'],
     ]]],
    ['tool' => 'remove_learners_from_teams',
     'form_params' => ['action' => 'removeLearnersFromTeams', 'options' => [
         'learners' => [
             ['email' => 'john.smith@example.com', 'teams' => ['teamID_42', 'teamID_99']],
         ],
     ]]],
    ['tool' => 'revoke_learners_access', 'local' => ['confirm' => true],
     'form_params' => ['action' => 'revokeLearnersAccess', 'options' => [
         'learners' => ['john.smith@example.com', 'maria.garcia@example.org', 'li.wei+test@example.net'],
     ]]],
    ['tool' => 'get_learners_quiz_statistic',
     'form_params' => ['action' => 'getLearnersQuizStatistic', 'options' => [
         'records' => [
             'john.smith@example.com' => ['eK61OzXl38z5vogrmP0y', 'Lzq0weBKvR72E72olW4X'],
             'maria.garcia@example.org' => ['eK61OzXl38z5vogrmP0y', 'Lzq0weBKvR72E72olW4X'],
         ],
     ]]],
    ['tool' => 'delete_learner_invite', 'local' => ['confirm' => true],
     'form_params' => ['action' => 'deleteLearnerInvite', 'options' => [
         'emails' => ['john.smith@example.com', 'maria.garcia@example.org', 'li.wei+test@example.net'],
     ]]],
    // PHP sends `true` as 1.
    ['tool' => 'delete_learners', 'local' => ['confirm' => true],
     'form_params' => ['action' => 'deleteLearners', 'options' => [
         'is_permanently_delete' => true,
         'emails' => ['john.smith@example.com', 'maria.garcia@example.org'],
         'ids' => ['learner1_ID', 'learner2_ID'],
     ]]],
    // PHP leaves out the null value of the second variable altogether.
    ['tool' => 'update_course_certificate_variables',
     'form_params' => ['action' => 'updateCourseCertificateVariables', 'options' => [
         'course_id' => '1AbDljeg3zyEqB6rKZ92',
         'certificate_variables' => [
             [
                 'code' => 'variable_1',
                 'name' => 'Example 1',
                 'type' => 'image_url',
                 'value' => 'test.com/master_certificate_template_test-bg.png',
             ],
             [
                 'code' => 'variable_2',
                 'name' => 'Example 2',
                 'type' => 'text',
                 'value' => null,
             ],
         ],
     ]]],
    // Not a documentation sample: built from the inviteLearners input table.
    ['tool' => 'invite_learners',
     'form_params' => ['action' => 'inviteLearners', 'options' => [
         'learners' => [
             ['email' => 'john.smith@example.com', 'name' => 'John Smith', 'type' => 'learner',
              'teams' => ['testTeamsID2', 'testTeamsID1']],
             ['email' => 'ana.lopez@example.org', 'name' => 'Ana López', 'type' => 'manager'],
         ],
         'is_send_email' => true,
     ]]],
];

$out = [];
foreach ($vectors as $vector) {
    $args = ($vector['form_params']['options'] ?? []) + ($vector['local'] ?? []);
    $out[] = [
        'tool' => $vector['tool'],
        'action' => $vector['form_params']['action'],
        'args' => (object) $args,
        'body' => http_build_query($vector['form_params']),
    ];
}
echo json_encode(
    ['generator' => 'tests/data/make_php_vectors.php', 'php' => PHP_VERSION, 'vectors' => $out],
    JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_THROW_ON_ERROR
), "\n";
