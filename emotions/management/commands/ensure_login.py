"""Create the first login if the site has none, and print how to log in."""
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model

from emotions.management.base import ToonCommand


class Command(ToonCommand):
    help = "Create a staff login 'admin' with a random password when no superuser exists; print the login."

    def handle(self, *args, **options):
        users = get_user_model()
        remembered = settings.DATA_DIR / "first_login.txt"
        if not users.objects.filter(is_superuser=True).exists():
            password = secrets.token_urlsafe(12)
            users.objects.create_superuser("admin", email="", password=password)
            remembered.parent.mkdir(parents=True, exist_ok=True)
            remembered.write_text(f"admin {password}\n")
            remembered.chmod(0o600)
        if remembered.exists():
            username, password = remembered.read_text().split()
            user = users.objects.filter(username=username).first()
            if user and user.check_password(password):
                self.stdout.write(f"Log in as: {username} / {password}")
                return
        self.stdout.write("Log in with your existing superuser (manage.py changepassword resets a password).")
