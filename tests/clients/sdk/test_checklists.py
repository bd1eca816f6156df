"""The six checklist operations through the SDK (checklist, checklist_review, completion_status,
completion_review_status, submit_answers, checklist_template, plus the template's HEAD count),
on alice's record of MAIN, whose offering has the compliance checklist of directory.py:

  Q_BOOL    boolean, required, guidance always shown, review when true
  Q_TEXT    text_area, optional, review when it contains "export"
  Q_SELECT  single_select, required, visible only when Q_BOOL is true
  Q_NUMBER  number 1..1000, optional

The tests run in file order: answers accumulate."""

import json
from uuid import UUID

from helpers import U, d, refused
from waldur_api_client.api.marketplace_offering_users import (
    marketplace_offering_users_checklist_retrieve,
    marketplace_offering_users_checklist_review_retrieve,
    marketplace_offering_users_checklist_template_count,
    marketplace_offering_users_checklist_template_retrieve,
    marketplace_offering_users_completion_review_status_retrieve,
    marketplace_offering_users_completion_status_retrieve,
    marketplace_offering_users_submit_answers,
)
from waldur_api_client.models.answer_submit_request import AnswerSubmitRequest
from waldur_api_client.models.answer_submit_response import AnswerSubmitResponse
from waldur_api_client.models.checklist_completion import ChecklistCompletion
from waldur_api_client.models.checklist_completion_reviewer import ChecklistCompletionReviewer
from waldur_api_client.models.checklist_response import ChecklistResponse
from waldur_api_client.models.checklist_reviewer_response import ChecklistReviewerResponse
from waldur_api_client.models.checklist_template import ChecklistTemplate

ALICE = U(d.ou("alice"))
NO_CHECKLIST = U(d.ou("bulk001"))  # BULK has no compliance checklist
ALL_QUESTIONS = [U(d.Q_BOOL), U(d.Q_TEXT), U(d.Q_SELECT), U(d.Q_NUMBER)]
WITHOUT_DEPENDENTS = [U(d.Q_BOOL), U(d.Q_TEXT), U(d.Q_NUMBER)]
REVIEW_KEYS = {"operator", "review_answer_value", "always_requires_review"}


def submit(client, *pairs):
    body = [AnswerSubmitRequest(question_uuid=U(q), answer_data=a) for q, a in pairs]
    return marketplace_offering_users_submit_answers.sync_detailed(uuid=ALICE, client=client, body=body)


def answer_of(question):
    """existing_answer's answer_data: the SDK gives an Answer, or the raw dict when the user view
    leaves out `requires_review` (which Answer requires)."""
    existing = question.existing_answer
    if existing is None:
        return None
    if isinstance(existing, dict):
        return existing["answer_data"]
    data = existing.answer_data
    return data.to_dict() if hasattr(data, "to_dict") else data


def unanswered(completion) -> list:
    return [UUID(q["uuid"]) for q in completion.unanswered_required_questions]


def check_checklist_short(checklist):
    assert checklist.uuid == U(d.CHECKLIST)
    assert checklist.name == d.CHECKLIST_NAME
    assert checklist.description == d.CHECKLIST_DESCRIPTION
    assert checklist.checklist_type == "offering_compliance"


def check_completion(completion, percentage, completed, missing):
    assert completion.completion_percentage == percentage
    assert completion.is_completed is completed
    assert unanswered(completion) == [U(q) for q in missing]
    assert completion.checklist_name == d.CHECKLIST_NAME
    assert completion.checklist_description == d.CHECKLIST_DESCRIPTION
    assert completion.created.tzinfo is not None and completion.modified >= completion.created


def test_has_compliance_checklist_field(manager):
    from waldur_api_client.api.marketplace_offering_users import marketplace_offering_users_retrieve

    assert marketplace_offering_users_retrieve.sync(uuid=ALICE, client=manager).has_compliance_checklist is True
    assert marketplace_offering_users_retrieve.sync(uuid=NO_CHECKLIST, client=manager).has_compliance_checklist is False


def test_checklist_before_any_answer(manager):
    response = marketplace_offering_users_checklist_retrieve.sync_detailed(uuid=ALICE, client=manager)
    assert response.status_code == 200
    parsed = response.parsed
    assert isinstance(parsed, ChecklistResponse)
    check_checklist_short(parsed.checklist)
    check_completion(parsed.completion, 0.0, False, [d.Q_BOOL, d.Q_SELECT])
    assert [q.uuid for q in parsed.questions] == WITHOUT_DEPENDENTS  # Q_SELECT hidden until Q_BOOL is true
    by_uuid = {q.uuid: q for q in parsed.questions}
    q_bool, q_text, q_number = by_uuid[U(d.Q_BOOL)], by_uuid[U(d.Q_TEXT)], by_uuid[U(d.Q_NUMBER)]
    assert (q_bool.description, q_bool.question_type.value, q_bool.required, q_bool.order) == (
        d.QUESTION_TEXT[d.Q_BOOL],
        "boolean",
        True,
        1,
    )
    assert q_bool.user_guidance == d.GUIDANCE_BOOL and q_text.user_guidance is None
    assert q_text.question_type.value == "text_area" and q_text.required is False
    assert (q_number.min_value, q_number.max_value) == ("1.0000", "1000.0000")
    assert all(q.existing_answer is None and q.dependencies_info is None for q in parsed.questions)
    # the user view hides the review logic
    raw = json.loads(response.content)
    assert all(not (REVIEW_KEYS & set(q)) for q in raw["questions"])


def test_checklist_include_all(manager):
    parsed = marketplace_offering_users_checklist_retrieve.sync(uuid=ALICE, client=manager, include_all=True)
    assert [q.uuid for q in parsed.questions] == ALL_QUESTIONS
    q_select = parsed.questions[2]
    assert [(UUID(o["uuid"]) if isinstance(o, dict) else o.uuid) for o in q_select.question_options] == [
        U(d.OPT_HIGH),
        U(d.OPT_LOW),
    ]
    # The SDK keeps dependencies_info as the raw dict when a condition's required_value is not
    # an object (QuestionConditionRequiredValue.from_dict calls dict(value)): here it is `true`.
    info = q_select.dependencies_info
    info = info if isinstance(info, dict) else info.to_dict()
    assert info == {
        "logic": "and",
        "conditions": [{"question_description": d.QUESTION_TEXT[d.Q_BOOL], "operator": "equals", "required_value": True}],
    }


def test_completion_status(manager, alice):
    for client in (manager, alice):
        parsed = marketplace_offering_users_completion_status_retrieve.sync(uuid=ALICE, client=client)
        assert isinstance(parsed, ChecklistCompletion)
        check_completion(parsed, 0.0, False, [d.Q_BOOL, d.Q_SELECT])


def test_submit_answers_as_the_offering_user(alice):
    response = submit(alice, (d.Q_BOOL, True), (d.Q_TEXT, "All data stays internal."), (d.Q_NUMBER, 10))
    assert response.status_code == 200
    assert isinstance(response.parsed, AnswerSubmitResponse)
    assert response.parsed.detail == "Answers submitted successfully"
    check_completion(response.parsed.completion, 75.0, False, [d.Q_SELECT])


def test_checklist_after_answers(alice):
    parsed = marketplace_offering_users_checklist_retrieve.sync(uuid=ALICE, client=alice)
    assert [q.uuid for q in parsed.questions] == ALL_QUESTIONS  # Q_BOOL is true: Q_SELECT shows
    answers = {q.uuid: answer_of(q) for q in parsed.questions}
    assert answers == {U(d.Q_BOOL): True, U(d.Q_TEXT): "All data stays internal.", U(d.Q_SELECT): None, U(d.Q_NUMBER): 10}


def test_submit_the_dependent_question_completes(alice):
    response = submit(alice, (d.Q_SELECT, [d.OPT_HIGH]))
    assert response.status_code == 200
    check_completion(response.parsed.completion, 100.0, True, [])


def test_checklist_review(manager):
    response = marketplace_offering_users_checklist_review_retrieve.sync_detailed(uuid=ALICE, client=manager)
    assert response.status_code == 200
    parsed = response.parsed
    assert isinstance(parsed, ChecklistReviewerResponse)
    check_checklist_short(parsed.checklist)
    assert isinstance(parsed.completion, ChecklistCompletionReviewer)
    check_completion(parsed.completion, 100.0, True, [])
    assert parsed.completion.requires_review is True  # Q_BOOL answered true
    assert [t["question"] for t in parsed.completion.review_trigger_summary] == [d.QUESTION_TEXT[d.Q_BOOL]]
    assert [q.uuid for q in parsed.questions] == ALL_QUESTIONS
    q_bool, q_text = parsed.questions[0], parsed.questions[1]
    assert q_bool.operator.value == "equals" and q_bool.review_answer_value is True
    assert q_bool.always_requires_review is False
    assert q_text.operator.value == "contains" and q_text.review_answer_value == ["export"]
    raw = json.loads(response.content)
    assert raw["questions"][0]["existing_answer"]["requires_review"] is True
    assert raw["questions"][1]["existing_answer"]["requires_review"] is False


def test_completion_review_status(manager):
    parsed = marketplace_offering_users_completion_review_status_retrieve.sync(uuid=ALICE, client=manager)
    assert isinstance(parsed, ChecklistCompletionReviewer)
    check_completion(parsed, 100.0, True, [])
    assert parsed.requires_review is True
    assert parsed.reviewed_by is None


def test_null_answer_deletes_it(alice):
    response = submit(alice, (d.Q_NUMBER, None))
    assert response.status_code == 200
    check_completion(response.parsed.completion, 75.0, True, [])  # Q_NUMBER is optional
    parsed = marketplace_offering_users_checklist_retrieve.sync(uuid=ALICE, client=alice)
    assert answer_of(parsed.questions[3]) is None


def test_answer_changes_review_flag(manager, alice):
    assert submit(alice, (d.Q_TEXT, "We will export data to partners.")).status_code == 200
    parsed = marketplace_offering_users_completion_review_status_retrieve.sync(uuid=ALICE, client=manager)
    assert sorted(t["question"] for t in parsed.review_trigger_summary) == sorted(
        [d.QUESTION_TEXT[d.Q_BOOL], d.QUESTION_TEXT[d.Q_TEXT]]
    )


def test_invalid_answers_are_400_with_json(alice):
    # the SDK hands the JSON of a 400 back instead of raising (docs/spec/clients.md §2)
    response = submit(alice, (d.Q_NUMBER, 5000))
    assert response.status_code == 400
    assert isinstance(response.parsed, list) and len(response.parsed) == 1
    assert list(response.parsed[0]) == ["non_field_errors"]
    response = submit(alice, (d.Q_BOOL, True), (UUID(int=5).hex, True))
    assert response.status_code == 400
    assert response.parsed[0] == {}
    assert "does not exist" in response.parsed[1]["non_field_errors"][0]
    # nothing was written
    parsed = marketplace_offering_users_completion_status_retrieve.sync(uuid=ALICE, client=alice)
    check_completion(parsed, 75.0, True, [])


def test_reviewer_operations_are_not_for_the_offering_user(alice):
    with refused(403):
        marketplace_offering_users_checklist_review_retrieve.sync(uuid=ALICE, client=alice)
    with refused(403):
        marketplace_offering_users_completion_review_status_retrieve.sync(uuid=ALICE, client=alice)


def test_checklist_operations_on_invisible_record_are_404(outsider):
    for module in (
        marketplace_offering_users_checklist_retrieve,
        marketplace_offering_users_checklist_review_retrieve,
        marketplace_offering_users_completion_status_retrieve,
        marketplace_offering_users_completion_review_status_retrieve,
    ):
        with refused(404):
            module.sync(uuid=ALICE, client=outsider)
    with refused(404):
        marketplace_offering_users_submit_answers.sync(uuid=ALICE, client=outsider, body=[])


def test_record_without_checklist(manager):
    expected = {"detail": "No checklist configured for this object"}
    for module in (
        marketplace_offering_users_checklist_retrieve,
        marketplace_offering_users_checklist_review_retrieve,
        marketplace_offering_users_completion_status_retrieve,
        marketplace_offering_users_completion_review_status_retrieve,
    ):
        response = module.sync_detailed(uuid=NO_CHECKLIST, client=manager)
        assert (response.status_code, response.parsed) == (400, expected), module.__name__
    response = marketplace_offering_users_submit_answers.sync_detailed(
        uuid=NO_CHECKLIST, client=manager, body=[AnswerSubmitRequest(question_uuid=U(d.Q_BOOL), answer_data=True)]
    )
    assert (response.status_code, response.parsed) == (400, expected)


def test_checklist_template(manager):
    response = marketplace_offering_users_checklist_template_retrieve.sync_detailed(
        client=manager, parent_uuid=U(d.OFFERING_MAIN)
    )
    assert response.status_code == 200
    parsed = response.parsed
    assert isinstance(parsed, ChecklistTemplate)
    check_checklist_short(parsed.checklist)
    assert [q.uuid for q in parsed.questions] == ALL_QUESTIONS
    assert [q.uuid for q in parsed.initial_visible_questions] == WITHOUT_DEPENDENTS
    q_bool, q_select = parsed.questions[0], parsed.questions[2]
    assert q_bool.user_guidance == d.GUIDANCE_BOOL and q_bool.always_show_guidance is True
    assert q_bool.operator.value == "equals" and q_bool.review_answer_value is True
    assert [(o.uuid, o.label) for o in q_select.question_options] == [(U(d.OPT_HIGH), "High"), (U(d.OPT_LOW), "Low")]


def test_checklist_template_refusals(manager, outsider):
    response = marketplace_offering_users_checklist_template_retrieve.sync_detailed(
        client=manager, parent_uuid=U(d.OFFERING_BULK)
    )
    assert (response.status_code, response.parsed) == (400, {"detail": "No checklist configured for new objects"})
    with refused(404) as r:
        marketplace_offering_users_checklist_template_retrieve.sync(client=manager, parent_uuid=UUID(int=3))
    assert r.body == {"detail": "Parent object not found"}
    with refused(404):
        marketplace_offering_users_checklist_template_retrieve.sync(client=outsider, parent_uuid=U(d.OFFERING_MAIN))


def test_checklist_template_count(manager):
    # the SDK's HEAD helper for the template path: 200 with an integer X-Result-Count
    count = marketplace_offering_users_checklist_template_count.sync(client=manager, parent_uuid=U(d.OFFERING_MAIN))
    assert isinstance(count, int)
