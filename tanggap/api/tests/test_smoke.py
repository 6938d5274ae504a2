def test_health(client):
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_claim_then_reply(desk):
    case = desk.inbound().case
    claim = desk.ani.post(f"/api/v1/cases/{case.pk}/claim")
    assert claim.status_code == 200
    assert claim.json()["claimed_by"] == "ani"
