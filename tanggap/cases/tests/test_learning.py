"""The desk's own model: corrections queue a retraining, the retraining swaps a new model in,
every process takes it up, and one workspace's labels never reach another's model."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tanggap.audit.models import AuditEvent
from tanggap.cases import learning
from tanggap.cases.actions import correct_triage
from tanggap.cases.jobs import RETRAIN_MODELS, retrain_models_job
from tanggap.cases.models import Case, TriageLabel, TriageModel
from tanggap.periodic import registry
from tanggap.periodic.registry import JobContext

T0 = timezone.now().replace(microsecond=0)
# "Zorbak" is this city's water utility and "plonter" its road office: no lexicon knows them,
# so the cold rules call both "lainnya".
WATER = ["zorbak mati lagi di blok {}", "zorbak keruh sejak pagi gang {}",
         "zorbak tidak keluar rumah nomor {}"]
ROADS = ["plonter belum datang ke gang {}", "plonter tolong tambal depan nomor {}",
         "plonter kapan ke rt {}"]


@pytest.fixture(autouse=True)
def _own_data_dir(settings, tmp_path):
    # Model files are written under the data directory: each test gets its own, and no model
    # of an earlier test stays in this process.
    settings.DATA_DIR = tmp_path
    learning.forget_models()
    yield
    learning.forget_models()


def _label(desk, text, topic, *, n, channel=None, actor=None, now=T0):
    key = f"{topic}-{n}-{text[:10]}"  # one citizen, one case per label
    case = desk.inbound(text=text.format(n), external_id=key, author_id=key, channel=channel,
                        now=now).case
    return correct_triage(case_id=case.pk, actor=actor or desk.ani.user, topic=topic,
                          intent="aduan", now=now)


def _teach(desk, *, channel=None, actor=None, water="air_bersih", roads="jalan", each=4):
    for n in range(each):
        for text in WATER:
            _label(desk, text, water, n=n, channel=channel, actor=actor)
        for text in ROADS:
            _label(desk, text, roads, n=n, channel=channel, actor=actor)


def _retrain_tasks():
    return list(DBTaskResult.objects.filter(task_path="tanggap.cases.tasks.retrain_model")
                .values_list("args_kwargs", flat=True))


def test_a_retraining_is_queued_after_n_new_labels_and_not_twice(
        desk, settings, django_capture_on_commit_callbacks):
    settings.TANGGAP_RETRAIN_AFTER_LABELS = 3
    with django_capture_on_commit_callbacks(execute=True):
        _label(desk, WATER[0], "air_bersih", n=1)
        _label(desk, WATER[1], "air_bersih", n=2)
    assert _retrain_tasks() == []
    with django_capture_on_commit_callbacks(execute=True):
        _label(desk, ROADS[0], "jalan", n=3)
    assert _retrain_tasks() == [{"args": [desk.bpn.pk], "kwargs": {}}]
    assert TriageModel.objects.get(workspace=desk.bpn).queued_at == T0
    # More corrections while it waits: still one task.
    with django_capture_on_commit_callbacks(execute=True):
        _label(desk, ROADS[1], "jalan", n=4)
        _label(desk, ROADS[2], "jalan", n=5)
    assert len(_retrain_tasks()) == 1
    # Another workspace's labels count for it alone.
    assert not TriageModel.objects.filter(workspace=desk.dlh).exists()


def test_the_retrained_model_is_used_for_the_next_inbound_of_its_workspace_only(
        desk, settings):
    settings.TANGGAP_MODEL_CHECK_SECONDS = 30
    # The other desk teaches the opposite: its labels must never reach bpn's model.
    _teach(desk, channel=desk.dlh_web, actor=desk.luar.user, water="jalan", roads="air_bersih")
    before = desk.inbound(text="zorbak mati total di blok Z", external_id="before",
                          author_id="w-before", now=T0).case
    assert before.topic == "lainnya"
    _teach(desk)

    result = learning.retrain(workspace_id=desk.bpn.pk, clock=lambda: T0 + timedelta(seconds=5))
    assert result.status == "trained"
    record = TriageModel.objects.get(workspace=desk.bpn)
    bpn_labels = TriageLabel.objects.filter(workspace=desk.bpn)
    assert (record.version, record.labels) == (1, bpn_labels.count())
    assert record.label_mark == max(bpn_labels.values_list("pk", flat=True))
    assert record.trained_at == T0 + timedelta(seconds=5)
    assert record.accuracy is not None and set(record.report) == {"topic"}
    assert record.report["topic"]["rows"] == 24 and record.training_until is None
    assert (settings.DATA_DIR / record.path).is_file()
    assert record.path.startswith(f"models/{desk.bpn.pk}/")
    event = AuditEvent.objects.get(action="language_model.trained")
    assert (event.workspace_id, event.actor_id, event.after["version"]) == (desk.bpn.pk, None, 1)

    # This process looked 10 s ago and keeps its model for TANGGAP_MODEL_CHECK_SECONDS.
    soon = desk.inbound(text="zorbak mati total di blok Y", external_id="soon",
                        author_id="w-soon", now=T0 + timedelta(seconds=10)).case
    assert soon.topic == "lainnya"
    later = desk.inbound(text="zorbak mati total di blok X", external_id="later",
                         author_id="w-later", now=T0 + timedelta(seconds=41)).case
    assert later.topic == "air_bersih"
    assert any(reason.startswith("model:topik air_bersih") for reason in later.triage_reasons)
    # The other desk has no model of its own: cold rules, untouched by bpn's.
    theirs = desk.inbound(text="zorbak mati total di blok W", external_id="theirs",
                          author_id="w-theirs", channel=desk.dlh_web,
                          now=T0 + timedelta(seconds=41)).case
    assert theirs.topic == "lainnya"
    assert not TriageModel.objects.filter(workspace=desk.dlh, version__gt=0).exists()


def test_a_second_model_replaces_the_first_and_its_file(
        desk, settings, django_capture_on_commit_callbacks):
    settings.TANGGAP_MODEL_CHECK_SECONDS = 0
    _teach(desk, each=2)
    learning.retrain(workspace_id=desk.bpn.pk, clock=lambda: T0)
    first = TriageModel.objects.get(workspace=desk.bpn).path
    for n in range(2, 6):
        _label(desk, WATER[0], "jalan", n=n)  # the city moved this matter to another office
    with django_capture_on_commit_callbacks(execute=True):
        assert learning.retrain(workspace_id=desk.bpn.pk, clock=lambda: T0).status == "trained"
    record = TriageModel.objects.get(workspace=desk.bpn)
    assert record.version == 2 and record.path != first
    assert not (settings.DATA_DIR / first).exists() and (settings.DATA_DIR / record.path).exists()
    assert learning.workspace_model(desk.bpn.pk, now=T0) is not None
    # Nothing new since: a run finds the model up to date and trains nothing.
    again = learning.retrain(workspace_id=desk.bpn.pk, clock=lambda: T0)
    assert again.status == "up_to_date"
    assert TriageModel.objects.get(workspace=desk.bpn).version == 2


def test_two_trainings_of_one_workspace_never_run_at_once(desk, settings):
    _teach(desk, each=1)
    TriageModel.objects.update_or_create(
        workspace=desk.bpn, defaults={"training_until": T0 + timedelta(minutes=5)})
    assert learning.retrain(workspace_id=desk.bpn.pk, clock=lambda: T0).status == "busy"
    record = TriageModel.objects.get(workspace=desk.bpn)
    assert (record.version, record.path, record.label_mark) == (0, "", 0)
    assert not (settings.DATA_DIR / "models").exists()
    # A run whose lease was taken over (it stalled past its lease) does not swap its model in.
    assert learning.record_trained_model(
        workspace_id=desk.bpn.pk, lease_end=T0, path="models/x.npz", labels=6,
        model=None, now=T0) is None
    assert TriageModel.objects.get(workspace=desk.bpn).version == 0
    # Once the lease has run out (the worker died), the next run trains.
    later = T0 + timedelta(minutes=6)
    assert learning.retrain(workspace_id=desk.bpn.pk, clock=lambda: later).status == "trained"


def test_labels_that_cannot_train_a_model_keep_the_old_one_and_say_why(desk):
    for n in range(4):
        _label(desk, WATER[n % 3], "air_bersih", n=n)  # one topic, one intent: nothing to learn
    result = learning.retrain(workspace_id=desk.bpn.pk, clock=lambda: T0)
    assert result.status == "failed" and "two different labels" in result.detail
    record = TriageModel.objects.get(workspace=desk.bpn)
    assert (record.version, record.path, record.failed_at) == (0, "", T0)
    assert "two different labels" in record.last_error
    assert record.label_mark == 0 and record.training_until is None  # the labels count again
    event = AuditEvent.objects.get(action="language_model.training_failed")
    assert event.after == {"error": record.last_error, "version": 0}


def test_the_schedule_queues_labels_that_waited_too_long(
        desk, settings, django_capture_on_commit_callbacks):
    settings.TANGGAP_RETRAIN_AFTER_LABELS = 50
    settings.TANGGAP_RETRAIN_INTERVAL_SECONDS = 3600
    _teach(desk, each=1)
    learning.retrain(workspace_id=desk.bpn.pk, clock=lambda: T0)
    _label(desk, WATER[0], "air_bersih", n=9)  # one new label: not enough to queue at once
    assert _retrain_tasks() == []
    assert learning.queue_due(now=T0 + timedelta(minutes=30)) == []  # learned recently
    with django_capture_on_commit_callbacks(execute=True):
        assert learning.queue_due(now=T0 + timedelta(hours=2)) == [desk.bpn.pk]
        assert learning.queue_due(now=T0 + timedelta(hours=2)) == []  # queued once
    assert _retrain_tasks() == [{"args": [desk.bpn.pk], "kwargs": {}}]
    # A queue nobody answered for an interval (its task lost) is queued afresh.
    with django_capture_on_commit_callbacks(execute=True):
        assert learning.queue_due(now=T0 + timedelta(hours=4)) == [desk.bpn.pk]
    assert len(_retrain_tasks()) == 2
    # The periodic runner calls the same through its registered job.
    assert registry.jobs([RETRAIN_MODELS])[0].run is retrain_models_job
    ctx = JobContext(now=T0 + timedelta(hours=4, minutes=1), clock=timezone.now,
                     keep_alive=lambda: True)
    assert retrain_models_job(ctx) == "queued=0"


def test_an_unsure_reading_leaves_the_case_to_check_until_a_sure_one_or_an_operator(desk):
    torn = desk.inbound(text="air pdam mati sejak pagi, lampu jalan juga", external_id="t1")
    case = Case.objects.get(pk=torn.case.pk)
    assert (case.triage_unsure, case.needs_check) == (True, True)
    assert case.triage_confidence == 0.494
    assert case.triage_suggestions == [{"topic": "air_bersih", "confidence": 0.494},
                                       {"topic": "penerangan_jalan", "confidence": 0.494}]
    desk.inbound(text="Maksud saya air PDAM yang mati, lampu sudah nyala", external_id="t2")
    case = Case.objects.get(pk=torn.case.pk)
    assert (case.topic, case.triage_unsure, case.needs_check) == ("air_bersih", False, False)
    torn_again = desk.inbound(text="pohon, hujan, tanah dan trotoar", external_id="t3",
                              author_id="w2").case
    assert torn_again.needs_check
    confirmed = correct_triage(case_id=torn_again.pk, actor=desk.ani.user, topic="jalan",
                               now=T0)
    assert (confirmed.triage_unsure, confirmed.needs_check) == (True, False)


def test_the_task_retrains_and_says_what_it_did(desk, settings):
    from tanggap.cases.tasks import retrain_model

    _teach(desk, each=1)
    assert retrain_model.call(desk.bpn.pk) == "trained version 1 labels 6"
    assert retrain_model.call(desk.bpn.pk) == "up_to_date version 1"


def test_a_model_file_lost_in_a_restore_is_learned_again(
        desk, settings, django_capture_on_commit_callbacks):
    settings.TANGGAP_MODEL_CHECK_SECONDS = 0
    _teach(desk, each=1)
    learning.retrain(workspace_id=desk.bpn.pk, clock=lambda: T0)
    record = TriageModel.objects.get(workspace=desk.bpn)
    (settings.DATA_DIR / record.path).unlink()  # a backup holds the labels, not the models
    assert learning.workspace_model(desk.bpn.pk, now=T0) is None  # triage goes on without it
    with django_capture_on_commit_callbacks(execute=True):
        assert learning.queue_due(now=T0 + timedelta(minutes=1)) == [desk.bpn.pk]
    result = learning.retrain(workspace_id=desk.bpn.pk, clock=lambda: T0 + timedelta(minutes=2))
    assert (result.status, TriageModel.objects.get(workspace=desk.bpn).version) == ("trained", 2)
    assert learning.workspace_model(desk.bpn.pk, now=T0 + timedelta(minutes=3)) is not None
