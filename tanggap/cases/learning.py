"""The desk's own language model: a workspace's corrections retrain it, with no command.

- `note_new_label` runs inside `correct_triage`'s transaction: once the workspace has
  TANGGAP_RETRAIN_AFTER_LABELS labels its model has not seen, it marks the workspace's
  `TriageModel` queued (a conditional UPDATE, so it is queued once however many operators
  correct at the same moment) and enqueues `cases.tasks.retrain_model` on commit.
- `queue_due` is the periodic fallback (`cases.retrain_models`): a workspace with any unseen
  label whose last training is older than TANGGAP_RETRAIN_INTERVAL_SECONDS is queued too, and so
  is one whose queue went unanswered that long (its task lost with a worker), and one whose
  model file is gone (a desk restored from a backup, which holds the labels, not the models).
- `retrain` is the task's body: it takes the workspace's training lease (a conditional UPDATE:
  never two trainings of one workspace at once), trains from the workspace's labels only with
  no transaction open, writes the file beside the old ones under a new name, and
  `record_trained_model` swaps it in (version, figures, audit event) if the lease is still its.
- `workspace_model` gives a process the model of a workspace: it compares the record's `path`
  with the model it holds at most every TANGGAP_MODEL_CHECK_SECONDS and loads a new file when
  the path changed, so every web and worker process takes up a new model without a restart.

Never does one workspace's label reach another's model: the rows are read by workspace id, and
the file lives under the workspace's own directory.
"""

from __future__ import annotations

import logging
import os
import secrets
import tempfile
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q

from tanggap import language
from tanggap.audit import events
from tanggap.cases.models import TriageLabel, TriageModel
from tanggap.cases.queries import training_rows
from tanggap.conf.files import private_dir

logger = logging.getLogger(__name__)

# Longer than any training of a desk's labels takes (seconds for thousands); a worker that died
# mid-training frees the workspace after it.
TRAINING_LEASE = timedelta(minutes=30)
MODELS_DIR = "models"


def _record(workspace_id: int) -> TriageModel:
    record, _created = TriageModel.objects.get_or_create(workspace_id=workspace_id)
    return record


def _unseen_labels(workspace_id: int, mark: int) -> int:
    return TriageLabel.objects.filter(workspace_id=workspace_id, pk__gt=mark).count()


# ---------------------------------------------------------------------------------------------
# Queueing


def note_new_label(*, workspace_id: int, now: datetime) -> bool:
    """A label was just written (the caller's transaction is open): queue a retraining once
    enough labels are new. True when this call queued it."""
    record = _record(workspace_id)
    if _unseen_labels(workspace_id, record.label_mark) < settings.TANGGAP_RETRAIN_AFTER_LABELS:
        return False
    return _queue(record, now)


def relearn_without_erased(*, workspace_id: int, now: datetime) -> bool:
    """Labels' words were erased (tanggap/privacy; the caller's transaction is open): the model
    learned word weights from them, so train it again from the labels left, however few are
    new. True when this call queued it."""
    record = _record(workspace_id)
    TriageModel.objects.filter(pk=record.pk).update(label_mark=0)
    return _queue(record, now)


def _queue(record: TriageModel, now: datetime) -> bool:
    if not TriageModel.objects.filter(pk=record.pk, queued_at__isnull=True).update(queued_at=now):
        return False  # already queued: one task is enough
    workspace_id = record.workspace_id
    transaction.on_commit(lambda: _enqueue(workspace_id))
    return True


def _enqueue(workspace_id: int) -> None:
    from tanggap.cases.tasks import retrain_model

    retrain_model.enqueue(workspace_id)


def _file_lost(record: TriageModel) -> bool:
    # A desk restored from a backup has its labels but not its model files (they are learned
    # again): the record then names a file that is not there.
    return bool(record.path) and not (settings.DATA_DIR / record.path).is_file()


def queue_due(*, now: datetime) -> list[int]:
    """Queue every workspace whose labels wait longer than the retraining interval for a model
    (the fallback of `note_new_label`); returns their ids."""
    interval = timedelta(seconds=settings.TANGGAP_RETRAIN_INTERVAL_SECONDS)
    queued = []
    newest = (TriageLabel.objects.values("workspace_id").annotate(newest=Max("pk"))
              .order_by("workspace_id"))
    for row in newest:
        record = _record(row["workspace_id"])
        lost = _file_lost(record)
        if row["newest"] <= record.label_mark and not lost:
            continue  # the model (or the training running now) has every label
        if record.training_until is not None and record.training_until > now:
            continue
        if record.queued_at is not None and record.queued_at > now - interval:
            continue  # queued recently: its task is on the way
        last = max((t for t in (record.trained_at, record.failed_at) if t), default=None)
        if (last is not None and last > now - interval and record.queued_at is None
                and not lost):
            continue  # learned (or tried) recently; `note_new_label` queues sooner if need be
        if record.queued_at is not None:
            # Queued long ago and never run: its task was lost. Queue it afresh.
            TriageModel.objects.filter(pk=record.pk).update(queued_at=None)
        with transaction.atomic():
            if _queue(record, now):
                queued.append(record.workspace_id)
    return queued


# ---------------------------------------------------------------------------------------------
# Training


@dataclass(frozen=True)
class RetrainResult:
    status: str  # trained | busy | up_to_date | failed | lease_lost
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.status} {self.detail}".strip()


def retrain(*, workspace_id: int, clock) -> RetrainResult:
    """Train the workspace's model from its own labels and swap it in; safe to run twice and
    beside itself (the second run finds the lease taken, or nothing new)."""
    now = clock()
    record = _record(workspace_id)
    newest = (TriageLabel.objects.filter(workspace_id=workspace_id)
              .aggregate(newest=Max("pk"))["newest"] or 0)
    if (newest <= record.label_mark and record.version and not record.failed_at
            and not _file_lost(record)):
        TriageModel.objects.filter(pk=record.pk).update(queued_at=None)
        return RetrainResult("up_to_date", f"version {record.version}")
    lease_end = now + TRAINING_LEASE
    claimed = TriageModel.objects.filter(
        Q(training_until__isnull=True) | Q(training_until__lte=now), pk=record.pk,
    ).update(training_until=lease_end, queued_at=None, label_mark=newest)
    if not claimed:
        return RetrainResult("busy")
    rows = list(training_rows(workspace_ids=[workspace_id], up_to=newest))
    try:
        model = language.train(rows)
    except ValueError as exc:
        record_training_failed(workspace_id=workspace_id, lease_end=lease_end,
                               error=str(exc), mark=record.label_mark, now=clock())
        return RetrainResult("failed", str(exc))
    relative = _write(model, workspace_id)
    saved = record_trained_model(workspace_id=workspace_id, lease_end=lease_end, path=relative,
                                 labels=len(rows), model=model, now=clock())
    if saved is None:
        (settings.DATA_DIR / relative).unlink(missing_ok=True)
        return RetrainResult("lease_lost")
    return RetrainResult("trained", f"version {saved.version} labels {saved.labels}")


def _write(model: language.Model, workspace_id: int) -> str:
    """Write the model under a name no other model had (temporary file, then rename, so no
    process ever reads half a file); return its path relative to the data directory."""
    directory = private_dir(settings.DATA_DIR / MODELS_DIR / str(workspace_id),
                            name="the models directory")
    name = f"model-{secrets.token_hex(8)}.npz"
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".training-", suffix=".npz")
    os.close(handle)
    try:
        model.save(temporary)
        os.replace(temporary, directory / name)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return f"{MODELS_DIR}/{workspace_id}/{name}"


def _summary(record: TriageModel) -> dict:
    return {"version": record.version, "labels": record.labels, "accuracy": record.accuracy,
            "macro_f1": record.macro_f1, "path": record.path}


def record_trained_model(*, workspace_id: int, lease_end: datetime, path: str, labels: int,
                         model: language.Model, now: datetime) -> TriageModel | None:
    """Make `path` the workspace's model, if the training that wrote it still holds the lease;
    None (nothing changed) when another run took over."""
    with transaction.atomic():
        record = TriageModel.objects.select_for_update().get(workspace_id=workspace_id)
        if record.training_until != lease_end:
            return None
        before = _summary(record)
        head = model.heads.get("topic") or model.heads.get("intent")
        record.version += 1
        record.path = path
        record.trained_at = now
        record.labels = labels
        record.accuracy = head.report["accuracy"] if head else None
        record.macro_f1 = head.report["macro_f1"] if head else None
        record.report = {name: h.report for name, h in model.heads.items()}
        record.training_until = None
        record.failed_at = None
        record.last_error = ""
        record.save()
        events.record(workspace_id=workspace_id, actor=None, action="language_model.trained",
                      now=now, obj=record, before=before, after=_summary(record))
        if record.queued_at is not None:
            # Labels came during the training and their task found the lease taken.
            transaction.on_commit(lambda: _enqueue(workspace_id))
        transaction.on_commit(lambda: _remove_old_files(workspace_id, keep=path))
        return record


def record_training_failed(*, workspace_id: int, lease_end: datetime, error: str, mark: int,
                           now: datetime) -> None:
    """The labels could not train a model (one topic only, say): keep the model in use, give
    the labels back to the next count, and say why on the record."""
    with transaction.atomic():
        record = TriageModel.objects.select_for_update().get(workspace_id=workspace_id)
        if record.training_until != lease_end:
            return
        record.training_until = None
        record.failed_at = now
        record.last_error = error[:500]
        record.label_mark = mark
        record.save(update_fields=["training_until", "failed_at", "last_error", "label_mark"])
        events.record(workspace_id=workspace_id, actor=None,
                      action="language_model.training_failed", now=now, obj=record,
                      after={"error": record.last_error, "version": record.version})


def _remove_old_files(workspace_id: int, *, keep: str) -> None:
    # Every process loads a new model whole when it sees the new path, so older files are no
    # longer read by anyone once the swap is committed.
    directory = settings.DATA_DIR / MODELS_DIR / str(workspace_id)
    for old in directory.glob("model-*.npz"):
        if f"{MODELS_DIR}/{workspace_id}/{old.name}" != keep:
            old.unlink(missing_ok=True)


# ---------------------------------------------------------------------------------------------
# The model a process uses


@dataclass
class _Held:
    path: str
    model: language.Model | None
    checked_at: datetime


_held: dict[int, _Held] = {}
_loading = threading.Lock()


def workspace_model(workspace_id: int, *, now: datetime) -> language.Model | None:
    """The workspace's own model, or None if it has none (or its file will not load)."""
    held = _held.get(workspace_id)
    every = timedelta(seconds=settings.TANGGAP_MODEL_CHECK_SECONDS)
    if held is not None and now - held.checked_at < every:
        return held.model
    path = (TriageModel.objects.filter(workspace_id=workspace_id)
            .values_list("path", flat=True).first()) or ""
    if held is not None and held.path == path:
        held.checked_at = now
        return held.model
    with _loading:
        model = None
        if path:
            try:
                model = language.load_model(settings.DATA_DIR / path)
            except (OSError, ValueError):
                logger.exception("workspace %s: model %s not loaded; triage without it",
                                 workspace_id, path)
        _held[workspace_id] = _Held(path, model, now)
    return model


def forget_models() -> None:
    """Drop every model this process holds (tests; a process that must re-read at once)."""
    _held.clear()
