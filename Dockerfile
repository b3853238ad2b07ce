# The image docker-compose.yml runs for web, worker and beat.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 EXHALE_VAR_DIR=/app/var
WORKDIR /app
RUN useradd --create-home --uid 1000 exhale
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
# collectstatic needs settings to load; these throw-away values never reach a running container.
RUN DJANGO_SECRET_KEY=build FIELD_ENCRYPTION_KEYS=$(python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())") \
    python manage.py collectstatic --no-input \
    && mkdir -p /app/var && chown -R exhale /app/var
USER exhale
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
