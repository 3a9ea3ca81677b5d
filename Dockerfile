# The production image for the web and worker services of docker-compose.yml.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 ZHIBU_INSTANCE_PATH=/var/lib/zhibu
WORKDIR /app
COPY . /app
RUN pip install --no-cache-dir -e ".[server]" && mkdir -p /var/lib/zhibu
EXPOSE 8000
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "120", "zhibu.wsgi:app"]
