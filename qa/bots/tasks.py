"""Celery tasks of the chat bots: interfaces that take an event's plain fields and call a
service.

At most once (``acks_late=False``): a task lost with its worker leaves a question
unanswered, which its asker sees and asks again; delivered twice it would post two answers.
"""

from celery import shared_task


@shared_task(name="qa.bots.answer_slack_question", acks_late=False)
def answer_slack_question_task(message: dict) -> str:
    from qa.bots.slack import answer_slack_question

    return answer_slack_question(message=message).kind.value


@shared_task(name="qa.bots.ask_person_from_slack", acks_late=False)
def ask_person_from_slack_task(click: dict) -> str:
    from qa.bots.slack import ask_person_from_slack

    reply = ask_person_from_slack(click=click)
    return reply.kind.value if reply else ""


@shared_task(name="qa.bots.answer_feishu_question", acks_late=False)
def answer_feishu_question_task(message: dict) -> str:
    from qa.bots.feishu import answer_feishu_question

    return answer_feishu_question(message=message).kind.value


@shared_task(name="qa.bots.ask_person_from_feishu", acks_late=False)
def ask_person_from_feishu_task(click: dict) -> str:
    from qa.bots.feishu import ask_person_from_feishu

    reply = ask_person_from_feishu(click=click)
    return reply.kind.value if reply else ""
