"""Fixtures for the action tests: a valid call per tool and the documentation's sample answers.

Emails in the documentation are obfuscated; these use real-looking ones instead.
"""

from __future__ import annotations

from typing import Any

JOHN = "john.smith@example.com"
MARIA = "maria.garcia@example.org"
LI = "li.wei+test@example.net"

# tool -> (arguments of a valid call, the API options it must produce)
VALID_CALLS: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "learners": (
        {"email": JOHN, "with_academy": True, "with_teams": False, "max_items": 20},
        {"email": JOHN, "with_academy": True, "with_teams": False},
    ),
    "courses": ({"max_items": 5}, {}),
    "certificates": ({"email": JOHN}, {"email": JOHN}),
    "learners_progress_by_course": (
        {"course_id": "byY3dwq2exrmWvLpoanMQ", "page": 2, "amount": 10, "show_not_started_learners": True},
        {"course_id": "byY3dwq2exrmWvLpoanMQ", "page": 2, "amount": 10, "show_not_started_learners": True},
    ),
    "course_progress": (
        {"email": JOHN, "course_type": "published", "only_displayed_courses": True},
        {"email": JOHN, "course_type": "published", "only_displayed_courses": True},
    ),
    "learners_amount_from_countries": ({"country_iso_code": "us"}, {"country_iso_code": "US"}),
    "learners_from_country": ({"country_iso_code": "UA"}, {"country_iso_code": "UA"}),
    "learners_with_score": ({"score": 40, "operator": ">="}, {"score": 40, "operator": ">="}),
    "learners_registered_at": ({"date": "2017-09-24", "operator": ">"}, {"date": "2017-09-24", "operator": ">"}),
    "learners_course_complete": ({"course_id": "my-course"}, {"course_id": "my-course"}),
    "passive_learners": ({}, {}),
    "invite_learners": (
        {
            "learners": [
                {"email": JOHN, "name": "John Smith", "type": "learner", "teams": ["testTeamsID2", "testTeamsID1"]},
                {"email": MARIA, "name": "Maria Garcia", "type": "manager"},
            ],
            "is_send_email": False,
        },
        {
            "learners": [
                {"email": JOHN, "name": "John Smith", "type": "learner", "teams": ["testTeamsID2", "testTeamsID1"]},
                {"email": MARIA, "name": "Maria Garcia", "type": "manager"},
            ],
            "is_send_email": False,
        },
    ),
    "check_learner_invite": ({"emails": [JOHN, MARIA, LI]}, {"emails": [JOHN, MARIA, LI]}),
    "learners_churn_at_content": (
        {"course_id": "my-course", "content_id": "first-lesson"},
        {"course_id": "my-course", "content_id": "first-lesson"},
    ),
    "learners_repeated_log_ins": ({}, {}),
    "academies": ({}, {}),
    "create_login_token": (
        {"academy_id": "zyK0bxgWEY9E4XA6JedG", "email": JOHN, "course_id": "NVpz0Pmrkjr", "content_id": "9GKDJlMkpM"},
        {"academy_id": "zyK0bxgWEY9E4XA6JedG", "email": JOHN, "course_id": "NVpz0Pmrkjr", "content_id": "9GKDJlMkpM"},
    ),
    "set_lesson_variables": (
        {
            "academy_id": "zyK0bxgWEY9E4XA6JedG",
            "records": {
                JOHN: [
                    {
                        "key": "some_lesson_variable",
                        "value": "Example",
                        "type": 0,
                        "default_value": "Some Default Value For Variable",
                    }
                ]
            },
        },
        {
            "academy_id": "zyK0bxgWEY9E4XA6JedG",
            "records": {
                JOHN: [
                    {
                        "key": "some_lesson_variable",
                        "value": "Example",
                        "type": 0,
                        "default_value": "Some Default Value For Variable",
                    }
                ]
            },
        },
    ),
    "get_learner_variable": (
        {"records": {JOHN: ["var_name_1", "var_name_4"], MARIA: ["var_name_2", "var_name_10"]}},
        {"records": {JOHN: ["var_name_1", "var_name_4"], MARIA: ["var_name_2", "var_name_10"]}},
    ),
    "get_teams": ({"records": "course"}, {"records": "course"}),
    "add_learners_to_teams": (
        {"teams": ["teamID_1", "teamID_42"], "learners": [JOHN, MARIA], "send_invites": True},
        {"teams": ["teamID_1", "teamID_42"], "learners": [JOHN, MARIA], "send_invites": True},
    ),
    "remove_learners_from_teams": (
        {"learners": [{"email": JOHN, "teams": ["teamID_42", "teamID_99"]}]},
        {"learners": [{"email": JOHN, "teams": ["teamID_42", "teamID_99"]}]},
    ),
    "revoke_learners_access": ({"learners": [JOHN, MARIA], "confirm": True}, {"learners": [JOHN, MARIA]}),
    "return_learners_access": ({"learners": [JOHN]}, {"learners": [JOHN]}),
    "get_learners_quiz_statistic": (
        {"records": {JOHN: ["eK61OzXl38z5vogrmP0y", "Lzq0weBKvR72E72olW4X"]}},
        {"records": {JOHN: ["eK61OzXl38z5vogrmP0y", "Lzq0weBKvR72E72olW4X"]}},
    ),
    "add_learner_quiz_attempts": (
        {"quiz_id": "Lzq0wffwfq", "email": JOHN},
        {"quiz_id": "Lzq0wffwfq", "email": JOHN},
    ),
    "delete_learner_invite": (
        {"emails": [JOHN, MARIA], "is_delete_users": True, "confirm": True},
        {"emails": [JOHN, MARIA], "is_delete_users": True},
    ),
    "delete_learners": (
        {"emails": [JOHN], "ids": ["learner1_ID"], "is_permanently_delete": False, "confirm": False},
        {"is_permanently_delete": False, "emails": [JOHN], "ids": ["learner1_ID"]},
    ),
    "course_certificate_variables": ({"course_id": "1AbDljeg3zyEqB6rKZ92"}, {"course_id": "1AbDljeg3zyEqB6rKZ92"}),
    "update_course_certificate_variables": (
        {
            "course_id": "1AbDljeg3zyEqB6rKZ92",
            "certificate_variables": [
                {"code": "variable_1", "name": "Example 1", "type": "image_url", "value": "test.com/bg.png"},
                {"code": "variable_2", "name": "Example 2", "type": "text", "value": None},
            ],
        },
        {
            "course_id": "1AbDljeg3zyEqB6rKZ92",
            "certificate_variables": [
                {"code": "variable_1", "name": "Example 1", "type": "image_url", "value": "test.com/bg.png"},
                {"code": "variable_2", "name": "Example 2", "type": "text", "value": None},
            ],
        },
    ),
}

# --------------------------------------------------------------------------- sample answers

LEARNER = {
    "name": "John Smith",
    "email": JOHN,
    "registered_at": "2017-07-24T10:26:23+00:00",
    "score": 50,
    "lessons_opened": 20,
    "lessons_completed": 10,
    "courses_completed": 1,
    "spent_time_in_academy": 234562,
    "certificates_amount": 1,
    "company": "https://academyocean.com",
    "country": "United States",
    "country_iso_code": "US",
    "city": "Los Angeles",
    "os": "OS X",
    "device": "Macintosh",
    "browser": "Chrome",
    "last_login_at": "2017-09-24T10:26:23+00:00",
}

COURSE_PROGRESS = [
    {
        "course_id": "NVpz0PmrkjNJOQW9d1K",
        "course_name": "Test group",
        "course_description": "",
        "course_img": "http://app.academyocean.test/img/upload_img.png",
        "course_open_url": "http://test.academyocean.test/group/gR9eYq5oE6wm3NAPmwxG/open",
        "start_date": "2021-12-08",
        "finish_date": "2021-12-08",
        "lessons_amount": 4,
        "progress_amount": 3,
        "progress": 75.0,
        "content_progress": [
            {
                "id": "9GKDJlMkpMREXyz2Awp",
                "type": "lesson",
                "name": "lesson 1",
                "is_passed": True,
                "started_at": "2021-12-08T14:41:20+00:00",
                "passed_at": "2021-12-08T14:41:23+00:00",
                "pass_time_sec": 0,
            },
            {
                "id": "NnO5GBYv4o53baMJo6p",
                "type": "quiz",
                "name": "quiz 1",
                "is_passed": True,
                "started_at": "2021-12-08T14:41:23+00:00",
                "passed_at": "2021-12-08T14:42:10+00:00",
                "pass_time_sec": 25,
                "score": "5",
                "passing_score": 0,
                "is_need_manual_approve": True,
                "is_time_on": None,
                "is_timer_expired": False,
                "timer_minutes": 5,
            },
            {
                "id": "2DAjr0BkWwykbypL86d",
                "type": "lesson",
                "name": "lesson 2",
                "is_passed": False,
                "started_at": "2021-12-08T14:42:19+00:00",
                "passed_at": None,
                "pass_time_sec": None,
            },
        ],
    },
    {
        "course_id": "0yZM9XkmLy3A7lpJYg",
        "course_name": "cert course for webhooks tests",
        "course_description": "",
        "course_img": "http://app.academyocean.test/img/upload_img.png",
        "course_open_url": "http://test.academyocean.test/course/cert-course-for-webhooks-tests/open",
        "start_date": "2021-12-09T15:23:19+00:00",
        "finish_date": "2021-12-09T15:23:30+00:00",
        "lessons_amount": 6,
        "progress_amount": 6,
        "progress": 100.0,
        "content_progress": [
            {
                "id": "R5VD9yZ3wq3240axmz",
                "type": "quiz",
                "name": "Quiz",
                "is_passed": True,
                "started_at": "2021-12-09T16:02:58+00:00",
                "passed_at": "2021-12-09T16:14:51+00:00",
                "pass_time_sec": 5,
                "score": "3",
                "passing_score": 2,
                "is_need_manual_approve": False,
                "is_time_on": None,
                "is_timer_expired": False,
                "timer_minutes": 6,
            }
        ],
    },
]

QUIZ_STATISTIC = {
    JOHN: {
        "Lzq0weBKvR72E72olW4X": {
            "name": "Quiz Name 1",
            "score": 4,
            "passing_score": 4,
            "is_passed": True,
            "spent_time": "00:01:30",
            "spent_time_seconds": 90,
            "pass_date": "01/24/2021",
            "pass_time": "07:40 AM",
            "is_timer_on": False,
            "is_expired": False,
            "is_manual_approve_on": False,
            "globalComment": None,
            "pass_percent": 100,
            "questions": [
                {
                    "id": "yJAg4qNO",
                    "name": "First Question",
                    "number": 1,
                    "type": "checkbox",
                    "isHasImage": False,
                    "imageUrl": "",
                    "is_passed": True,
                    "isExpired": False,
                    "checkerComment": "",
                    "time_spent": "00:00:05",
                    "answers": {
                        "selected": [
                            {"answer": "asdasdasdas", "is_right": True, "isHasImage": False, "imageUrl": ""},
                        ],
                        "missed": [],
                    },
                }
            ],
        }
    }
}

# tool -> the answer AcademyOcean documents (or, for undocumented writes, what the sandbox sends)
SAMPLE_ANSWERS: dict[str, Any] = {
    "learners": [LEARNER],
    "courses": [
        {
            "id": "zyK0bxgWEY9E4XA6JedG",
            "slug": "incidunt-course",
            "name": "incidunt course",
            "description": "Description.",
            "img": "https://app.academyocean.com/img/upload_img.png",
            "course_open_url": "https://academy.academyocean.com/course/incidunt-course/open",
            "is_in_group": False,
            "is_scorm": False,
            "is_ribbon_enabled": True,
            "ribbon_text": "Ribbon text",
        }
    ],
    "certificates": [
        {
            "issued_date": "2017-07-24T10:26:23+00:00",
            "course_name": "My Course",
            "url_to_pdf": "https://app.academyocean.com/public/certificates/NAME.pdf",
            "url_to_image": "https://app.academyocean.com/public/certificates/NAME.jpg",
        }
    ],
    "learners_progress_by_course": [
        {
            "learners": [
                {
                    "email": JOHN,
                    "full_name": "John Smith",
                    "first_name": "John",
                    "last_name": "Smith",
                    "startDate": "01/01/2022",
                    "startTime": "7:41 AM",
                    "completionDate": "01/01/2022",
                    "completionTime": "7:51 AM",
                    "status": "Completed",
                    "duration": "00:10:50",
                    "viewTime": "00:10:55",
                    "totalAmount": 5,
                    "passedAmount": "5",
                    "courseScore": 100,
                    "teams": ["No Team"],
                }
            ]
        }
    ],
    "course_progress": COURSE_PROGRESS,
    "learners_amount_from_countries": [
        {"country_iso_code": "US", "country": "United States", "amount": 20},
        {"country_iso_code": "UA", "country": "Ukraine", "amount": 7},
    ],
    "learners_from_country": {
        "country_iso_code": "US",
        "country": "United States",
        "amount": 1,
        "learners": [LEARNER],
    },
    "learners_with_score": [LEARNER],
    "learners_registered_at": [LEARNER],
    "learners_course_complete": [
        {
            "date_of_passing": "2017-09-24T10:26:23+00:00",
            "name": "John Smith",
            "score": 20,
            "courses_completed": 1,
            "spent_time_in_academy": 412321,
            "certificates_amount": 1,
            "company": "http://company.com",
        }
    ],
    "passive_learners": [
        {
            "registered_at": "2017-09-24T10:26:23+00:00",
            "name": "John Smith",
            "email": JOHN,
            "company": "https://academyocean.com",
        }
    ],
    "invite_learners": {"invited": 2},
    "check_learner_invite": {
        JOHN: {"is_found": True, "is_used": True, "used_at": "2021-12-09T18:57:44+00:00"},
        MARIA: {"is_found": True, "is_used": False, "used_at": None},
        LI: {"is_found": False, "is_used": None, "used_at": None},
    },
    "learners_churn_at_content": [
        {
            "churn_date": "2017-09-24T10:26:23+00:00",
            "email": JOHN,
            "name": "John Smith",
            "spent_time_in_academy": 12312,
            "spent_time_in_content": 123,
            "registered_at": "2017-09-24T10:26:23+00:00",
        }
    ],
    "learners_repeated_log_ins": [{**LEARNER, "log_ins_amount": 4}],
    "academies": [
        {
            "id": "zyK0bxgWEY9E4XA6JedG",
            "name": "Academy",
            "slug": "academy",
            "is_cname_enabled": False,
            "cname_domain": None,
            "is_private": True,
            "is_published": True,
            "learners_amount": 120,
            "created_at": "2021-12-09T18:57:44+00:00",
            "content_amount": 6,
            "access_request_amount": 2,
        }
    ],
    "create_login_token": {"link": "https://academy.academyocean.com/auth/token/8f2c1e0a9b"},
    "set_lesson_variables": ["done"],
    "get_learner_variable": {
        JOHN: {"var_name_1": 1, "var_name_4": "abcd"},
        MARIA: {"var_name_2": 2, "var_name_10": 10},
    },
    "get_teams": [
        {"id": "NVpz0PmrkjrkOQW9d1Kx", "name": "test 2", "courses": [{"id": 2, "name": "2"}]},
        {"id": "1AbDljeg3zyEqB6rKZ92", "name": "test 5"},
    ],
    "add_learners_to_teams": ["done"],
    "remove_learners_from_teams": ["done"],
    "revoke_learners_access": ["done"],
    "return_learners_access": ["done"],
    "get_learners_quiz_statistic": QUIZ_STATISTIC,
    "add_learner_quiz_attempts": ["done"],
    "delete_learner_invite": ["done"],
    "delete_learners": {"deleted": 1},
    "course_certificate_variables": {
        "template_id": 144,
        "certificate_variables": [
            {
                "code": "variable_1",
                "name": "Variable 1 / Background (Recommendation: 1650x1080 px)",
                "type": "image_url",
                "value": "/img/certificates/master_certificate/master_certificate_template_test-bg.png",
            },
            {
                "code": "variable_3",
                "name": "Variable 3 / Course Skill 1",
                "type": "text",
                "value": "REAL Variable 3 / Course Skill 1",
            },
        ],
    },
    "update_course_certificate_variables": ["done"],
}
