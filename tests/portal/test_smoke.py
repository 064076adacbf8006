def test_login_and_dashboard(client, auth, people):
    people.user("ana@fr.example.org", "analyst")
    auth.login("ana@fr.example.org")
    page = client.get("/")
    assert page.status_code == 200
    assert "FR-MININT" in page.text
