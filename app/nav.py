"""The app's pages in order, each with the permission that shows it (no Streamlit here)."""

from __future__ import annotations

# (file, title, icon, permission, section)
PAGES: tuple[tuple[str, str, str, str, str], ...] = (
    ("views/home.py", "Home", ":material/checklist:", "read", "Pilot"),
    ("views/workflow.py", "1 · Workflow", ":material/account_tree:", "read", "Pilot"),
    ("views/bar.py", "2 · Acceptance bar", ":material/rule:", "read", "Pilot"),
    ("views/goldenset.py", "3 · Golden set", ":material/dataset:", "read", "Pilot"),
    ("views/runs.py", "4 · Runs", ":material/play_circle:", "read", "Pilot"),
    ("views/results.py", "4b · Results", ":material/monitoring:", "read", "Pilot"),
    ("views/review.py", "5 · Review: grade", ":material/grading:", "grade", "Pilot"),
    (
        "views/review_dashboard.py",
        "5b · Review dashboard",
        ":material/insights:",
        "read_grades",
        "Pilot",
    ),
    ("views/readiness.py", "6 · Readiness", ":material/stairs:", "read", "Pilot"),
    ("views/evidence.py", "7 · Evidence", ":material/description:", "read_report", "Pilot"),
    ("views/audit.py", "Audit", ":material/verified_user:", "audit", "Oversight"),
    ("views/admin.py", "Admin", ":material/manage_accounts:", "manage_users", "Oversight"),
)
