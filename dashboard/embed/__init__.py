"""Public embeddable charts: `/embed/<chart>` pages, their data, the builder, the static export."""

from dashboard.embed.routes import register_embeds

__all__ = ["register_embeds"]
